//! `nrm link dedupe`: which records of a CSV file are the same person (record linkage with
//! the nrm-linkage engine), and `nrm bench link`: its accuracy, time and memory on generated
//! people, and the time to match one new record against everyone already indexed (intake).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use nrm_linkage::compare::{FIELDS, Levels};
use nrm_linkage::synth::{Generator, pairwise_scores};
use nrm_linkage::{Blocker, Dataset, Folded, Index, Record, Settings, dedupe, fit};

/// The input columns, in the documented order (the header may order them differently).
pub const COLUMNS: [&str; 9] = [
    "id",
    "given_names",
    "family_name",
    "date_of_birth",
    "sex",
    "address",
    "town",
    "postcode",
    "region",
];

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Cluster the records of a CSV file: writes `id,cluster` for every row (same cluster =
    /// same person; the cluster is the id of its first record).
    Dedupe(DedupeOptions),
    /// Pairwise precision, recall and F1 of a clusters file against a truth file.
    Evaluate(EvaluateOptions),
    /// Re-run person linkage over every stored referral (after the model, the bands or the
    /// key change): tokens made again, unlinked referrals linked as at intake, possible matches
    /// queued for decision makers (persons are never joined without one).
    Rebuild,
    /// Make the search-by-name tokens of every referral that has none (bulk-loaded and
    /// imported cases), without linking them to persons; `rebuild` does both.
    Index,
}

#[derive(Debug, Args)]
pub struct DedupeOptions {
    /// CSV with a header naming some of: id,given_names,family_name,date_of_birth,sex,
    /// address,town,postcode,region (values may be empty; dates ISO or YYYYMMDD).
    #[arg(long)]
    input: PathBuf,
    /// Where to write `id,cluster`.
    #[arg(long)]
    output: PathBuf,
    /// Also write the scored pairs at or above --threshold, with each field's level.
    #[arg(long)]
    pairs: Option<PathBuf>,
    /// Match probability for --pairs (default: the link threshold).
    #[arg(long)]
    threshold: Option<f64>,
    /// Pairs at or above this match probability put two records in one cluster.
    #[arg(long, default_value_t = 0.9)]
    link_threshold: f64,
    /// Link every pair above the threshold, without the check against chaining.
    #[arg(long)]
    no_chain_check: bool,
    /// Print the records, time and peak memory on stderr at the end.
    #[arg(long)]
    stats: bool,
}

#[derive(Debug, Args)]
pub struct EvaluateOptions {
    /// `id,cluster` as written by dedupe.
    #[arg(long)]
    clusters: PathBuf,
    /// `id,<truth>`: records with the same second column are the same person.
    #[arg(long)]
    truth: PathBuf,
}

/// A minimal CSV reader (RFC 4180: quoted fields, doubled quotes, line breaks in quotes).
struct CsvReader<R> {
    inner: R,
    line: String,
    bytes: u64,
    /// The strings of the previous row, reused for the next one's fields (no allocation per
    /// field once they have grown).
    spare: Vec<String>,
}

impl<R: BufRead> CsvReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            line: String::new(),
            bytes: 0,
            spare: Vec::new(),
        }
    }

    /// The next row's fields; `false` at the end.
    fn next_row(&mut self, fields: &mut Vec<String>) -> io::Result<bool> {
        self.spare.append(fields);
        self.line.clear();
        let n = self.inner.read_line(&mut self.line)?;
        if n == 0 {
            return Ok(false);
        }
        self.bytes += n as u64;
        let mut field = self.take_spare();
        let mut quoted = false;
        loop {
            // Runs of ordinary characters are copied whole; every character with a meaning
            // is ASCII, so a run never splits a character.
            let line = self.line.as_str();
            let b = line.as_bytes();
            let (mut i, mut run) = (0, 0);
            while i < b.len() {
                let special = matches!(
                    (quoted, b[i]),
                    (true, b'"') | (false, b'"' | b',' | b'\n' | b'\r')
                );
                if !special {
                    i += 1;
                    continue;
                }
                field.push_str(&line[run..i]);
                match (quoted, b[i]) {
                    (true, _) if b.get(i + 1) == Some(&b'"') => {
                        field.push('"');
                        i += 1;
                    }
                    (true, _) => quoted = false,
                    (false, b'"') if field.is_empty() => quoted = true,
                    (false, b'"') => field.push('"'),
                    (false, b',') => {
                        let next = self.spare.pop().map_or_else(String::new, |mut s| {
                            s.clear();
                            s
                        });
                        fields.push(std::mem::replace(&mut field, next));
                    }
                    _ => {}
                }
                i += 1;
                run = i;
            }
            field.push_str(&line[run..]);
            if !quoted {
                break;
            }
            self.line.clear();
            let n = self.inner.read_line(&mut self.line)?;
            if n == 0 {
                break;
            }
            self.bytes += n as u64;
        }
        fields.push(field);
        Ok(true)
    }

    fn take_spare(&mut self) -> String {
        let mut s = self.spare.pop().unwrap_or_default();
        s.clear();
        s
    }
}

fn write_field(out: &mut impl Write, value: &str) -> io::Result<()> {
    if value.contains([',', '"', '\n', '\r']) {
        write!(out, "\"{}\"", value.replace('"', "\"\""))
    } else {
        out.write_all(value.as_bytes())
    }
}

/// A progress bar on stderr (a line per phase when stderr is not a terminal).
struct Progress {
    terminal: bool,
    total: u64,
    started: Instant,
    last: Instant,
}

impl Progress {
    fn new(total: u64) -> Self {
        Self {
            terminal: io::stderr().is_terminal(),
            total,
            started: Instant::now(),
            last: Instant::now(),
        }
    }

    fn reading(&mut self, done: u64, rows: usize) {
        if !self.terminal || self.last.elapsed().as_millis() < 200 {
            return;
        }
        self.last = Instant::now();
        let fraction = if self.total == 0 {
            1.0
        } else {
            (done as f64 / self.total as f64).min(1.0)
        };
        let filled = (fraction * 30.0) as usize;
        eprint!(
            "\r[{}{}] {:>3.0}% {rows} records read",
            "#".repeat(filled),
            "-".repeat(30 - filled),
            fraction * 100.0
        );
    }

    fn phase(&mut self, what: &str) {
        if self.terminal {
            eprint!("\r\x1b[K");
        }
        eprintln!("[{:>7.2} s] {what}", self.started.elapsed().as_secs_f64());
    }
}

/// The columns of the header, by position, as indexes into [`COLUMNS`].
fn header_map(header: &[String]) -> anyhow::Result<Vec<Option<usize>>> {
    let map: Vec<Option<usize>> = header
        .iter()
        .map(|h| {
            COLUMNS
                .iter()
                .position(|c| c.eq_ignore_ascii_case(h.trim()))
        })
        .collect();
    if !map.contains(&Some(0)) {
        bail!(
            "the input has no `id` column (header: {})",
            COLUMNS.join(",")
        );
    }
    Ok(map)
}

/// Record ids, front-coded: each as the number of leading bytes it shares with the id before
/// it and the bytes after those. They are needed only to write the output, and are held all
/// through the linkage: ids are most often numbered (`r1`, `r2`, … or case references) and
/// share most of their bytes with the one before, so this holds 352,215 generated ids (`r1`
/// to `r352215`) in 1.3 MiB instead of 3.6 (their text and where each ends). Every
/// [`Ids::EVERY`]th id is kept whole, so that any id is rebuilt from at most that many.
#[derive(Default)]
struct Ids {
    /// Each id as: the bytes it shares with the id before (one byte: at most 255, none for
    /// every `EVERY`th), how many bytes follow (LEB128), those bytes.
    bytes: Vec<u8>,
    /// Where every `EVERY`th id starts in `bytes`.
    marks: Vec<usize>,
    len: usize,
    /// The id pushed last.
    last: String,
}

impl Ids {
    const EVERY: usize = 16;

    fn push(&mut self, id: &str) {
        let mut shared = 0;
        if self.len.is_multiple_of(Self::EVERY) {
            self.marks.push(self.bytes.len());
        } else {
            shared = id
                .bytes()
                .zip(self.last.bytes())
                .take(255)
                .take_while(|(x, y)| x == y)
                .count();
            // Cut at a character, so that what follows is text of its own.
            while !id.is_char_boundary(shared) {
                shared -= 1;
            }
        }
        let rest = &id.as_bytes()[shared..];
        self.bytes.push(shared as u8);
        let mut n = rest.len();
        while n >= 0x80 {
            self.bytes.push((n & 0x7f) as u8 | 0x80);
            n >>= 7;
        }
        self.bytes.push(n as u8);
        self.bytes.extend_from_slice(rest);
        self.last.clear();
        self.last.push_str(id);
        self.len += 1;
    }

    /// Reads the id starting at `at` in place of the one before it in `id`; where the next
    /// starts.
    fn next_into(&self, at: usize, id: &mut String) -> usize {
        let b = &self.bytes;
        // The shared bytes end where a character does: `id` holds the id before.
        id.truncate(usize::from(b[at]));
        let (mut n, mut shift, mut k) = (0usize, 0, at + 1);
        loop {
            n |= usize::from(b[k] & 0x7f) << shift;
            k += 1;
            if b[k - 1] < 0x80 {
                break;
            }
            shift += 7;
        }
        // Whole characters, as they were pushed.
        id.push_str(std::str::from_utf8(&b[k..k + n]).unwrap_or_default());
        k + n
    }

    /// Id `i` in place of what `id` held.
    fn get_into(&self, i: usize, id: &mut String) {
        let mut at = self.marks[i / Self::EVERY];
        for _ in 0..=i % Self::EVERY {
            at = self.next_into(at, id);
        }
    }

    /// Every id in order, each in place of the one before in `id`.
    fn each(&self, mut f: impl FnMut(usize, &str) -> io::Result<()>) -> io::Result<()> {
        let (mut at, mut id) = (0, String::new());
        for i in 0..self.len {
            at = self.next_into(at, &mut id);
            f(i, &id)?;
        }
        Ok(())
    }
}

/// Rows of the input as parsed, each as its nine values (in the order of `COLUMNS`, empty
/// where the file has no such column) back to back in one string.
#[derive(Default)]
struct Raw {
    text: String,
    ends: Vec<usize>,
    /// Bytes of the file read by the end of the last row.
    bytes: u64,
}

impl Raw {
    fn len(&self) -> usize {
        self.ends.len() / COLUMNS.len()
    }

    fn value(&self, row: usize, column: usize) -> &str {
        let i = row * COLUMNS.len() + column;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

/// Rows of the input: each row's id, and its values folded for the dataset ([`Folded`], on
/// a thread of their own, so the one that builds the dataset only interns them).
#[derive(Default)]
struct Rows {
    /// The ids back to back, and where each ends.
    ids: String,
    id_ends: Vec<usize>,
    /// The rows' folded values: the first `len()` are this batch's (the rest is room kept
    /// from an earlier batch).
    folded: Vec<Folded>,
    /// Bytes of the file read by the end of the last row.
    bytes: u64,
}

impl Rows {
    fn len(&self) -> usize {
        self.id_ends.len()
    }

    fn id(&self, row: usize) -> &str {
        let start = if row == 0 { 0 } else { self.id_ends[row - 1] };
        &self.ids[start..self.id_ends[row]]
    }
}

/// Rows handed along at a time from one thread of the reading to the next.
const BATCH: usize = 2048;

/// Reads a CSV file of people into a prepared dataset, with their ids, in a pipeline of three
/// threads handing batches of rows along: one parses the file, one folds the values, and this
/// one interns the records' tokens.
fn read_people(
    path: &Path,
    progress: &mut Progress,
    limit: Option<usize>,
) -> anyhow::Result<(Dataset, Ids)> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = CsvReader::new(BufReader::with_capacity(1 << 16, file));
    let mut fields = Vec::new();
    if !reader.next_row(&mut fields)? {
        bail!("{} is empty", path.display());
    }
    let map = header_map(&fields)?;
    let mut ds = Dataset::new();
    let mut ids = Ids::default();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (raw_full, raw_batches) = std::sync::mpsc::sync_channel::<io::Result<Raw>>(2);
        let (raw_done, raw_empty) = std::sync::mpsc::channel::<Raw>();
        let (full, batches) = std::sync::mpsc::sync_channel::<io::Result<Rows>>(2);
        let (done, empty) = std::sync::mpsc::channel::<Rows>();
        // Parses the file.
        scope.spawn(move || {
            let mut read = 0usize;
            loop {
                let mut raw = raw_empty.try_recv().unwrap_or_default();
                raw.text.clear();
                raw.ends.clear();
                let mut more = true;
                while raw.len() < BATCH {
                    if limit.is_some_and(|l| read >= l) {
                        more = false;
                        break;
                    }
                    match reader.next_row(&mut fields) {
                        Ok(true) => read += 1,
                        Ok(false) => {
                            more = false;
                            break;
                        }
                        Err(e) => {
                            // Nobody may be listening any more: then there is no one to tell.
                            let _ = raw_full.send(Err(e));
                            return;
                        }
                    }
                    let mut values = [""; COLUMNS.len()];
                    for (k, value) in fields.iter().enumerate() {
                        if let Some(Some(column)) = map.get(k) {
                            values[*column] = value.as_str();
                        }
                    }
                    for v in values {
                        raw.text.push_str(v);
                        raw.ends.push(raw.text.len());
                    }
                }
                raw.bytes = reader.bytes;
                // A send fails only when the other side has stopped (an error): stop too.
                if raw.len() > 0 && raw_full.send(Ok(raw)).is_err() || !more {
                    return;
                }
            }
        });
        // Folds the values.
        scope.spawn(move || {
            for raw in raw_batches {
                let raw = match raw {
                    Ok(raw) => raw,
                    Err(e) => {
                        let _ = full.send(Err(e));
                        return;
                    }
                };
                let mut rows = empty.try_recv().unwrap_or_default();
                rows.ids.clear();
                rows.id_ends.clear();
                for r in 0..raw.len() {
                    let value = |column| raw.value(r, column);
                    rows.ids.push_str(value(0));
                    rows.id_ends.push(rows.ids.len());
                    if rows.folded.len() == r {
                        rows.folded.push(Folded::default());
                    }
                    rows.folded[r].fold(&Record {
                        given_names: value(1),
                        family_name: value(2),
                        date_of_birth: value(3),
                        sex: value(4),
                        address: value(5),
                        town: value(6),
                        postcode: value(7),
                    });
                }
                rows.bytes = raw.bytes;
                // The parsing thread may have finished: then the batch is simply dropped.
                let _ = raw_done.send(raw);
                if full.send(Ok(rows)).is_err() {
                    return;
                }
            }
        });
        let mut row = 1usize;
        for rows in batches {
            let rows = rows?;
            for r in 0..rows.len() {
                row += 1;
                if rows.id(r).is_empty() {
                    // The row number only: never a value, which may be personal data.
                    bail!("row {row} of {} has no id", path.display());
                }
                ids.push(rows.id(r));
                ds.push_folded(&rows.folded[r]);
            }
            progress.reading(rows.bytes, ds.len());
            // The reading thread may have finished: then the batch is simply dropped.
            let _ = done.send(rows);
        }
        Ok(())
    })?;
    ds.finish();
    Ok((ds, ids))
}

/// Peak resident memory of this process (VmHWM), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    let [peak] = memory_kib(["VmHWM:"]);
    peak
}

/// Memory figures of this process from one read of `/proc/self/status` (`VmRSS:` resident
/// now, `VmHWM:` the peak), in KiB, in the order asked.
fn memory_kib<const N: usize>(fields: [&str; N]) -> [Option<u64>; N] {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    fields.map(|field| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    })
}

pub fn run(command: LinkCommand) -> anyhow::Result<()> {
    match command {
        LinkCommand::Dedupe(options) => dedupe_file(&options),
        LinkCommand::Evaluate(options) => {
            let s = evaluate(&options.clusters, &options.truth)?;
            println!(
                "precision {:.4}  recall {:.4}  F1 {:.4}  ({} true pairs, {} predicted)",
                s.precision, s.recall, s.f1, s.true_pairs, s.predicted_pairs
            );
            Ok(())
        }
        LinkCommand::Rebuild => bail!("`nrm link rebuild` needs the database"),
        LinkCommand::Index => bail!("`nrm link index` needs the database"),
    }
}

/// `nrm link index`, as the operator's shell (`Principal::system()`), with a running count.
pub async fn index(cases: &nrm_service::Cases) -> anyhow::Result<()> {
    let capability = nrm_access::authorise(
        &nrm_access::Principal::system(),
        nrm_access::Operation::RebuildPersonLinks,
    )
    .map_err(|_| anyhow::anyhow!("the shell may not index referrals"))?;
    let started = Instant::now();
    let report = cases
        .persons()
        .index_unindexed(&capability, chrono::Utc::now(), &mut |_| {})
        .await?;
    println!(
        "{} referrals indexed for the search by name in {:.1}s ({} failed).",
        report.indexed,
        started.elapsed().as_secs_f64(),
        report.failed
    );
    Ok(())
}

/// `nrm link rebuild`, as the operator's shell (`Principal::system()`), with a progress bar.
pub async fn rebuild(cases: &nrm_service::Cases) -> anyhow::Result<()> {
    let capability = nrm_access::authorise(
        &nrm_access::Principal::system(),
        nrm_access::Operation::RebuildPersonLinks,
    )
    .map_err(|_| anyhow::anyhow!("the shell may not rebuild person links"))?;
    let started = Instant::now();
    let mut progress: Option<crate::progress::Progress> = None;
    let report = cases
        .persons()
        .rebuild(&capability, chrono::Utc::now(), &mut |done, total| {
            progress
                .get_or_insert_with(|| crate::progress::Progress::new("referrals", total))
                .set(done);
        })
        .await?;
    if let Some(mut p) = progress {
        p.finish(report.referrals);
    }
    println!(
        "{} referrals relinked in {:.1}s: {} linked to a person for the first time, {} possible matches queued for review, {} failed.",
        report.referrals,
        started.elapsed().as_secs_f64(),
        report.linked,
        report.reviews_queued,
        report.failed
    );
    if report.failed > 0 {
        bail!(
            "{} referrals could not be relinked (see the log)",
            report.failed
        );
    }
    Ok(())
}

fn dedupe_file(options: &DedupeOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    for p in [Some(options.link_threshold), options.threshold]
        .into_iter()
        .flatten()
    {
        if !(0.0..1.0).contains(&p) || p == 0.0 {
            bail!("a threshold is a probability between 0 and 1 (exclusive)");
        }
    }
    let size = std::fs::metadata(&options.input)
        .with_context(|| format!("cannot read {}", options.input.display()))?
        .len();
    let mut progress = Progress::new(size);
    let (mut ds, ids) = read_people(&options.input, &mut progress, None)?;
    // Every record is in: what only adding more needs goes before the pairwise work.
    ds.compact();
    progress.phase(&format!("{} records read", ds.len()));
    let settings = Settings {
        threshold: options.link_threshold,
        chain_check: !options.no_chain_check,
        ..Settings::default()
    };
    let pairs_above = options
        .pairs
        .as_ref()
        .map(|_| options.threshold.unwrap_or(options.link_threshold));
    // With --stats each phase says what is resident as it starts, and the peak so far.
    let outcome = dedupe(&ds, &settings, pairs_above, &mut |what| {
        if options.stats {
            let [resident, peak] = memory_kib(["VmRSS:", "VmHWM:"]).map(|k| k.unwrap_or(0) / 1024);
            progress.phase(&format!(
                "{what} (resident {resident} MiB, peak {peak} MiB)"
            ))
        } else {
            progress.phase(what)
        }
    });
    let mut out = BufWriter::new(
        File::create(&options.output)
            .with_context(|| format!("cannot create {}", options.output.display()))?,
    );
    writeln!(out, "id,cluster")?;
    let mut head = String::new();
    ids.each(|i, id| {
        let c = outcome.cluster[i] as usize;
        write_field(&mut out, id)?;
        out.write_all(b",")?;
        if c == i {
            write_field(&mut out, id)?;
        } else {
            ids.get_into(c, &mut head);
            write_field(&mut out, &head)?;
        }
        out.write_all(b"\n")
    })?;
    out.flush()?;
    let clusters = outcome
        .cluster
        .iter()
        .enumerate()
        .filter(|(i, c)| *i == **c as usize)
        .count();
    if let (Some(path), Some(p)) = (&options.pairs, pairs_above) {
        let mut out = BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        );
        write!(out, "id_a,id_b,probability,match_weight")?;
        for f in FIELDS {
            write!(out, ",{f}")?;
        }
        writeln!(out)?;
        let min = nrm_linkage::weight_of(p) as f32;
        let (mut a, mut b) = (String::new(), String::new());
        for pair in outcome.pairs.iter().filter(|x| x.weight >= min) {
            ids.get_into(pair.a as usize, &mut a);
            ids.get_into(pair.b as usize, &mut b);
            write_field(&mut out, &a)?;
            out.write_all(b",")?;
            write_field(&mut out, &b)?;
            let levels: Levels = nrm_linkage::compare::compare(&ds, pair.a, pair.b);
            write!(
                out,
                ",{:.6},{:.3}",
                nrm_linkage::probability(f64::from(pair.weight)),
                pair.weight
            )?;
            for l in levels {
                match l {
                    Some(l) => write!(out, ",{l}")?,
                    None => write!(out, ",")?,
                }
            }
            writeln!(out)?;
        }
        out.flush()?;
    }
    progress.phase(&format!(
        "{} records in {clusters} clusters; {} candidate pairs compared",
        ds.len(),
        outcome.candidates
    ));
    if options.stats {
        eprintln!(
            "stats: records={} clusters={clusters} seconds={:.3} peak_rss_kib={}",
            ds.len(),
            started.elapsed().as_secs_f64(),
            peak_rss_kib().unwrap_or(0)
        );
    }
    Ok(())
}

/// Reads `id,<label>` rows (after a header) into a map.
fn read_labels(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = CsvReader::new(BufReader::new(file));
    let mut fields = Vec::new();
    reader.next_row(&mut fields)?;
    let mut out = Vec::new();
    while reader.next_row(&mut fields)? {
        if fields.len() >= 2 {
            out.push((fields[0].clone(), fields[1].clone()));
        }
    }
    Ok(out)
}

/// Pairwise scores of a clusters file against a truth file (rows matched by id).
pub fn evaluate(clusters: &Path, truth: &Path) -> anyhow::Result<nrm_linkage::synth::Scores> {
    let truth: std::collections::HashMap<String, String> =
        read_labels(truth)?.into_iter().collect();
    let clusters = read_labels(clusters)?;
    let mut predicted = Vec::with_capacity(clusters.len());
    let mut actual = Vec::with_capacity(clusters.len());
    for (id, cluster) in clusters {
        let Some(t) = truth.get(&id) else {
            bail!("the truth file has no row for one of the ids");
        };
        predicted.push(cluster);
        actual.push(t.clone());
    }
    Ok(pairwise_scores(&predicted, &actual))
}

/// Options for `nrm bench link`.
#[derive(Debug, Args)]
pub struct LinkBenchOptions {
    /// People to generate at each scale (each has one or more records).
    #[arg(long, default_value = "10000,100000,1000000", value_delimiter = ',')]
    people: Vec<usize>,
    /// Seed of the generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where the generated files go.
    #[arg(long, default_value = "target/link-bench")]
    dir: PathBuf,
    /// New records matched one at a time against the others, for the intake latency.
    #[arg(long, default_value_t = 2000)]
    queries: usize,
    /// Link threshold passed to dedupe.
    #[arg(long, default_value_t = 0.9)]
    link_threshold: f64,
}

/// Writes the generated people of one scale: the input CSV and `id,person` truth.
pub fn generate(people: usize, seed: u64, input: &Path, truth: &Path) -> anyhow::Result<usize> {
    let mut out = BufWriter::new(File::create(input)?);
    let mut t = BufWriter::new(File::create(truth)?);
    writeln!(out, "{}", COLUMNS.join(","))?;
    writeln!(t, "id,person")?;
    let mut g = Generator::new(seed);
    let mut batch = Vec::new();
    let (mut made, mut records) = (0, 0);
    while made < people {
        batch.clear();
        made += g.next_household(&mut batch);
        for r in &batch {
            for (k, v) in [
                &r.id,
                &r.given_names,
                &r.family_name,
                &r.date_of_birth,
                &r.sex,
                &r.address,
                &r.town,
                &r.postcode,
                &r.region,
            ]
            .into_iter()
            .enumerate()
            {
                if k > 0 {
                    out.write_all(b",")?;
                }
                write_field(&mut out, v)?;
            }
            out.write_all(b"\n")?;
            writeln!(t, "{},{}", r.id, r.person)?;
            records += 1;
        }
    }
    out.flush()?;
    t.flush()?;
    Ok(records)
}

pub fn bench(options: LinkBenchOptions) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.dir)
        .with_context(|| format!("cannot create {}", options.dir.display()))?;
    let exe = std::env::current_exe()?;
    println!(
        "nrm bench link: generated people (seed {}), dedupe in a child process, intake against the rest",
        options.seed
    );
    println!(
        "{:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>11} {:>11}",
        "people",
        "records",
        "precision",
        "recall",
        "F1",
        "seconds",
        "peak MiB",
        "intake p50",
        "intake p99"
    );
    for &people in &options.people {
        let input = options.dir.join(format!("people-{people}.csv"));
        let truth = options.dir.join(format!("people-{people}.truth.csv"));
        let output = options.dir.join(format!("people-{people}.clusters.csv"));
        let records = generate(people, options.seed, &input, &truth)?;
        let child = std::process::Command::new(&exe)
            .args(["link", "dedupe", "--stats", "--link-threshold"])
            .arg(options.link_threshold.to_string())
            .arg("--input")
            .arg(&input)
            .arg("--output")
            .arg(&output)
            .stderr(std::process::Stdio::piped())
            .output()
            .context("cannot run nrm link dedupe")?;
        let stderr = String::from_utf8_lossy(&child.stderr);
        if !child.status.success() {
            bail!("nrm link dedupe failed: {stderr}");
        }
        let stat = |key: &str| -> f64 {
            stderr
                .lines()
                .filter_map(|l| l.strip_prefix("stats: "))
                .flat_map(|l| l.split(' '))
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN)
        };
        let scores = evaluate(&output, &truth)?;
        let (p50, p99) = intake(&input, options.queries)?;
        println!(
            "{:>9} {:>9} {:>9.4} {:>9.4} {:>9.4} {:>9.2} {:>10.1} {:>9.2}ms {:>9.2}ms",
            people,
            records,
            scores.precision,
            scores.recall,
            scores.f1,
            stat("seconds"),
            stat("peak_rss_kib") / 1024.0,
            p50,
            p99
        );
    }
    Ok(())
}

/// Fits the model on all but the last `queries` records, indexes them, then adds the last
/// ones one at a time (each matched against everything before it): p50 and p99 in ms.
fn intake(input: &Path, queries: usize) -> anyhow::Result<(f64, f64)> {
    let mut progress = Progress::new(0);
    progress.terminal = false;
    let (all, _) = read_people(input, &mut progress, None)?;
    let n = all.len();
    drop(all);
    let base = n.saturating_sub(queries);
    let (ds, _) = read_people(input, &mut progress, Some(base))?;
    let settings = Settings::default();
    let model = fit(&ds, &settings, &mut |_| {}).model;
    let mut index = Index::new(ds, model, Blocker::unkeyed());
    let file = File::open(input)?;
    let mut reader = CsvReader::new(BufReader::new(file));
    let mut fields = Vec::new();
    reader.next_row(&mut fields)?;
    let map = header_map(&fields)?;
    let mut times = Vec::with_capacity(queries);
    let mut row = 0;
    while reader.next_row(&mut fields)? {
        row += 1;
        if row <= base {
            continue;
        }
        let mut values = [""; 9];
        for (k, value) in fields.iter().enumerate() {
            if let Some(Some(column)) = map.get(k) {
                values[*column] = value.as_str();
            }
        }
        let record = Record {
            given_names: values[1],
            family_name: values[2],
            date_of_birth: values[3],
            sex: values[4],
            address: values[5],
            town: values[6],
            postcode: values[7],
        };
        let started = Instant::now();
        let (_, matches) = index.add(&record, 0.5);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(matches);
    }
    if times.is_empty() {
        return Ok((f64::NAN, f64::NAN));
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    Ok((at(0.5), at(0.99)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        let mut reader = CsvReader::new(text.as_bytes());
        let mut out = Vec::new();
        let mut fields = Vec::new();
        while reader.next_row(&mut fields).unwrap_or(false) {
            out.push(fields.clone());
        }
        out
    }

    #[test]
    fn csv_quotes_commas_and_line_breaks() {
        let r = rows("id,address\r\n1,\"12, High St\"\n2,\"say \"\"hi\"\"\nthere\"\n3,\n");
        assert_eq!(r[1], vec!["1", "12, High St"]);
        assert_eq!(r[2], vec!["2", "say \"hi\"\nthere"]);
        assert_eq!(r[3], vec!["3", ""]);
        // A quote inside an unquoted field is a character; a shorter row after a longer one
        // reuses nothing of it; characters outside ASCII pass whole.
        let r = rows("1,Nguyễn Thị,O\"Brien,x\n2,Đỗ\n3,\"\",\"a\"\"\"\n");
        assert_eq!(r[0], vec!["1", "Nguyễn Thị", "O\"Brien", "x"]);
        assert_eq!(r[1], vec!["2", "Đỗ"]);
        assert_eq!(r[2], vec!["3", "", "a\""]);
        let mut out = Vec::new();
        write_field(&mut out, "a,\"b\"").unwrap_or_default();
        assert_eq!(String::from_utf8_lossy(&out), "\"a,\"\"b\"\"\"");
    }

    #[test]
    fn ids_read_back_as_pushed_in_order_and_one_at_a_time() {
        let mut pushed: Vec<String> = (1..=1000).map(|k| format!("r{k}")).collect();
        pushed.extend(["", "r1000", "Đỗ-1", "Đỗ-2", "Đo", "ĐỗĐỗ", "a,b", "x\ny"].map(String::from));
        pushed.push("n".repeat(300));
        pushed.push(format!("{}m", "n".repeat(299)));
        pushed.push("€".repeat(100));
        pushed.push(format!("{}\u{20ac}", "€".repeat(99)));
        let mut ids = Ids::default();
        for id in &pushed {
            ids.push(id);
        }
        let mut read = Vec::new();
        ids.each(|i, id| {
            read.push((i, id.to_owned()));
            Ok(())
        })
        .unwrap_or_default();
        assert_eq!(read, pushed.iter().cloned().enumerate().collect::<Vec<_>>());
        let mut id = String::from("left over");
        for i in (0..pushed.len()).rev() {
            ids.get_into(i, &mut id);
            assert_eq!(id, pushed[i], "{i}");
        }
        // Numbered ids take a few bytes each.
        let mut numbered = Ids::default();
        for k in 1..=352_215 {
            numbered.push(&format!("r{k}"));
        }
        let size = numbered.bytes.len() + numbered.marks.len() * std::mem::size_of::<usize>();
        assert!(size < 1_500_000, "{size}");
    }

    #[test]
    fn header_columns_in_any_order() {
        let header: Vec<String> = ["postcode", "ID", "other"].map(String::from).to_vec();
        assert_eq!(header_map(&header).ok(), Some(vec![Some(7), Some(0), None]));
        let no_id: Vec<String> = vec!["given_names".into()];
        assert!(header_map(&no_id).is_err());
    }

    #[test]
    fn dedupe_links_the_same_person_and_not_the_twin() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let input = dir.path().join("in.csv");
        let truth = dir.path().join("truth.csv");
        generate(3000, 9, &input, &truth)?;
        // Two hand-written records of one person and her twin sister, at the end.
        let mut f = std::fs::OpenOptions::new().append(true).open(&input)?;
        writeln!(
            f,
            "x1,Selam,Tesfamariam,1994-03-07,F,\"4 Canal Street\",Leeds,LS1 4AB,"
        )?;
        writeln!(f, "x2,SELAM,Tesfamaryam,1994-07-03,F,,Leeds,,")?;
        writeln!(
            f,
            "x3,Senait,Tesfamariam,1994-03-07,F,\"4 Canal Street\",Leeds,LS1 4AB,"
        )?;
        drop(f);
        let output = dir.path().join("out.csv");
        let pairs = dir.path().join("pairs.csv");
        dedupe_file(&DedupeOptions {
            input: input.clone(),
            output: output.clone(),
            pairs: Some(pairs.clone()),
            threshold: Some(0.5),
            link_threshold: 0.9,
            no_chain_check: false,
            stats: false,
        })?;
        let labels: std::collections::HashMap<String, String> =
            read_labels(&output)?.into_iter().collect();
        let rows_in = std::fs::read_to_string(&input)?.lines().count() - 1;
        assert_eq!(labels.len(), rows_in, "a cluster for every row");
        assert_eq!(labels["x1"], labels["x2"]);
        assert_ne!(labels["x1"], labels["x3"]);
        let pair_rows = std::fs::read_to_string(&pairs)?;
        assert!(pair_rows.starts_with("id_a,id_b,probability,match_weight,given_names"));
        assert!(
            pair_rows
                .lines()
                .any(|l| l.starts_with("x1,x2,") || l.starts_with("x2,x1,"))
        );
        // The generated part scores well against its truth.
        let mut t = std::fs::OpenOptions::new().append(true).open(&truth)?;
        writeln!(t, "x1,p\nx2,p\nx3,q")?;
        drop(t);
        let s = evaluate(&output, &truth)?;
        assert!(s.f1 > 0.9, "F1 {}", s.f1);
        Ok(())
    }
}
