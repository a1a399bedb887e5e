//! Where the true pairs dedupe misses on generated people are lost: `cargo run --release -p
//! nrm-linkage --features synth --example missed_pairs -- PEOPLE [SEED]`.
//!
//! Every pair of records of one person left in different clusters is put in one of three
//! kinds: never compared (no blocking rule's key shared), compared and weighed below the
//! clustering threshold, or weighed above it but not joined (the chain check). The comparison
//! patterns of the first two kinds are counted, most common first.

use std::collections::HashMap;

use nrm_linkage::block::{R, key_text, pair_allowed};
use nrm_linkage::compare::{FIELDS, compare};
use nrm_linkage::synth::{Generator, pairwise_scores};
use nrm_linkage::{Settings, dedupe, weight_of};

fn main() {
    let mut args = std::env::args().skip(1);
    let people: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    let mut g = Generator::new(seed);
    let mut recs = Vec::new();
    let mut n = 0;
    while n < people {
        n += g.next_household(&mut recs);
    }
    let ds = nrm_linkage::synth::dataset(&recs);
    let settings = Settings::default();
    let out = dedupe(&ds, &settings, None, &mut |_| {});
    let truth: Vec<u32> = recs.iter().map(|r| r.person).collect();
    let s = pairwise_scores(&out.cluster, &truth);
    println!(
        "{n} people, {} records: P {:.4} R {:.4} F1 {:.4}",
        recs.len(),
        s.precision,
        s.recall,
        s.f1
    );
    let threshold = weight_of(settings.threshold);
    let mut by_person: HashMap<u32, Vec<u32>> = HashMap::new();
    for (i, &p) in truth.iter().enumerate() {
        by_person.entry(p).or_default().push(i as u32);
    }
    let keys = |i: u32| -> Vec<Option<String>> { (0..R).map(|r| key_text(&ds, i, r)).collect() };
    let (mut true_pairs, mut missed, mut unseen, mut low, mut refused) = (0u64, 0, 0, 0, 0);
    let mut unseen_patterns: HashMap<String, u64> = HashMap::new();
    let mut low_patterns: HashMap<String, u64> = HashMap::new();
    let mut unseen_above_patterns: HashMap<String, u64> = HashMap::new();
    let mut unseen_above_examples: Vec<String> = Vec::new();
    let mut low_bins = [0u64; 8];
    let (mut unseen_above, mut unseen_undated) = (0u64, 0u64);
    let mut examples: Vec<String> = Vec::new();
    let describe = |l: &[Option<u8>; 5]| {
        l.iter()
            .zip(FIELDS)
            .map(|(v, f)| format!("{}={}", &f[..3], v.map_or("-".into(), |v| v.to_string())))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut persons: Vec<_> = by_person.values().collect();
    persons.sort();
    // Each field's levels among the true pairs, against the model's estimated m.
    let mut true_m = [[0u64; 6]; 5];
    for records in &persons {
        for x in 0..records.len() {
            for y in x + 1..records.len() {
                for (f, l) in compare(&ds, records[x], records[y]).iter().enumerate() {
                    if let Some(l) = l {
                        true_m[f][*l as usize] += 1;
                    }
                }
            }
        }
    }
    for (f, counts) in true_m.iter().enumerate() {
        let total: u64 = counts.iter().sum();
        let share = |c: u64| c as f64 / total.max(1) as f64;
        println!(
            "m of {:<12} true {}\n{:>20}estimated {}",
            FIELDS[f],
            counts
                .iter()
                .map(|&c| format!("{:.4}", share(c)))
                .collect::<Vec<_>>()
                .join(" "),
            "",
            out.model.m[f][..6]
                .iter()
                .map(|m| format!("{m:.4}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    for records in persons {
        let ks: Vec<_> = records.iter().map(|&i| keys(i)).collect();
        for x in 0..records.len() {
            for y in x + 1..records.len() {
                true_pairs += 1;
                let (a, b) = (records[x], records[y]);
                if out.cluster[a as usize] == out.cluster[b as usize] {
                    continue;
                }
                missed += 1;
                let candidate = (0..R).any(|r| {
                    ks[x][r].is_some() && ks[x][r] == ks[y][r] && pair_allowed(&ds, r, a, b)
                });
                let (l, w) = out.model.score(&ds, a, b);
                let levels = compare(&ds, a, b);
                if !candidate {
                    unseen += 1;
                    if w >= threshold {
                        unseen_above += 1;
                        *unseen_above_patterns.entry(describe(&levels)).or_default() += 1;
                        if unseen_above_examples.len() < 15 {
                            unseen_above_examples.push(format!(
                                "unseen, would weigh {w:.1}: {}\n   {}\n   {}",
                                describe(&levels),
                                short(&recs[a as usize]),
                                short(&recs[b as usize])
                            ));
                        }
                    }
                    if levels[2].is_none() {
                        unseen_undated += 1;
                    }
                    *unseen_patterns.entry(describe(&levels)).or_default() += 1;
                    if examples.len() < 15 {
                        examples.push(format!(
                            "unseen {}\n   {}\n   {}",
                            describe(&levels),
                            short(&recs[a as usize]),
                            short(&recs[b as usize])
                        ));
                    }
                } else if w < threshold {
                    low += 1;
                    *low_patterns.entry(describe(&l)).or_default() += 1;
                    let bin = ((threshold - w) / 4.0).floor().clamp(0.0, 7.0) as usize;
                    low_bins[bin] += 1;
                } else {
                    refused += 1;
                }
            }
        }
    }
    // Wrong links: pairs above the threshold of records of different people, by pattern.
    let mut wrong: HashMap<String, u64> = HashMap::new();
    let mut wrong_shown = Vec::new();
    for p in out
        .pairs
        .iter()
        .filter(|p| f64::from(p.weight) >= threshold)
    {
        if truth[p.a as usize] != truth[p.b as usize] {
            let l = compare(&ds, p.a, p.b);
            *wrong.entry(describe(&l)).or_default() += 1;
            if wrong_shown.len() < 10 && l[2].is_none() {
                wrong_shown.push(format!(
                    "wrong w={:.1} {}\n   {}\n   {}",
                    p.weight,
                    describe(&l),
                    short(&recs[p.a as usize]),
                    short(&recs[p.b as usize])
                ));
            }
        }
    }
    println!(
        "true pairs {true_pairs}, missed {missed}: never compared {unseen}, compared and weighed \
         below the threshold {low}, above it but not joined {refused}"
    );
    println!(
        "never compared: {unseen_undated} with a date of birth missing on one side; \
         {unseen_above} would weigh above the threshold if compared"
    );
    println!(
        "weighed below: by distance below the threshold (4 bits a bin) {:?}",
        low_bins
    );
    let top = |m: HashMap<String, u64>, title: &str| {
        let mut v: Vec<_> = m.into_iter().collect();
        v.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        println!("{title}:");
        for (p, c) in v.iter().take(25) {
            println!("  {c:6} {p}");
        }
    };
    top(unseen_patterns, "never compared, by comparison pattern");
    top(
        unseen_above_patterns,
        "never compared but would weigh above the threshold, by comparison pattern",
    );
    top(low_patterns, "weighed too low, by comparison pattern");
    println!("wrong links: {}", wrong.values().sum::<u64>());
    top(wrong, "wrong links, by comparison pattern");
    for e in &wrong_shown {
        println!("{e}");
    }
    for e in &unseen_above_examples {
        println!("{e}");
    }
    for e in examples.iter().take(15) {
        println!("{e}");
    }
}

fn short(r: &nrm_linkage::synth::SynthRecord) -> String {
    format!(
        "{} | {} | {} | {} | {} | {} | {}",
        r.given_names, r.family_name, r.date_of_birth, r.sex, r.address, r.town, r.postcode
    )
}
