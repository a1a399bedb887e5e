//! Quick accuracy check on generated people: `cargo run --release -p nrm-linkage --features
//! synth --example synth_f1 -- PEOPLE [THRESHOLD]`.

use nrm_linkage::synth::{Generator, pairwise_scores};
use nrm_linkage::{Settings, dedupe};

fn main() {
    let mut args = std::env::args().skip(1);
    let people: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let threshold: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0.9);
    let mut g = Generator::new(42);
    let mut recs = Vec::new();
    let mut n = 0;
    while n < people {
        n += g.next_household(&mut recs);
    }
    if std::env::var("DEBUG_NAME").is_ok() {
        let name = std::env::var("DEBUG_NAME").unwrap_or_default();
        for r in recs.iter().filter(|r| r.family_name.contains(&name)) {
            println!("{} {} {}", r.id, r.person, short(r));
        }
        return;
    }
    let started = std::time::Instant::now();
    let ds = nrm_linkage::synth::dataset(&recs);
    eprintln!("{:?} records loaded", started.elapsed());
    let settings = Settings {
        threshold,
        ..Settings::default()
    };
    let out = dedupe(&ds, &settings, None, &mut |s| {
        eprintln!("{:?} {s}", started.elapsed())
    });
    let truth: Vec<u32> = recs.iter().map(|r| r.person).collect();
    let s = pairwise_scores(&out.cluster, &truth);
    println!(
        "{} people, {} records, {} candidates, {} oversized: P {:.4} R {:.4} F1 {:.4} in {:.2?}; lambda {:.3e} household {:.2?} twins {:.2?} at address {:.2?}",
        n,
        recs.len(),
        out.candidates,
        out.oversized_blocks,
        s.precision,
        s.recall,
        s.f1,
        started.elapsed(),
        out.model.lambda,
        out.model.household,
        out.model.twins,
        out.model.at_address
    );
    // A fingerprint of the clusters and of the kept pairs, to show a change left them as they were.
    let mut h = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&out.cluster, &mut h);
    for p in &out.pairs {
        std::hash::Hash::hash(&(p.a, p.b, p.weight.to_bits()), &mut h);
    }
    println!(
        "fingerprint {:016x} ({} pairs kept)",
        std::hash::Hasher::finish(&h),
        out.pairs.len()
    );
    let mut shown = 0;
    for pair in &out.pairs {
        let (a, b) = (pair.a as usize, pair.b as usize);
        if out.cluster[a] == out.cluster[b] && truth[a] != truth[b] && shown < 12 {
            shown += 1;
            let l = nrm_linkage::compare::compare(&ds, pair.a, pair.b);
            println!(
                "FP w={:.1} {:?}\n   {:?}\n   {:?}",
                pair.weight,
                l,
                short(&recs[a]),
                short(&recs[b])
            );
        }
    }
    // Missed: records of one person in different clusters (one pair per person shown).
    let mut first_of: std::collections::HashMap<u32, usize> = Default::default();
    let mut missed = 0;
    for (i, r) in recs.iter().enumerate() {
        match first_of.get(&r.person) {
            None => {
                first_of.insert(r.person, i);
            }
            Some(&j) if out.cluster[i] != out.cluster[j] && missed < 14 => {
                missed += 1;
                let (l, w) = out.model.score(&ds, i as u32, j as u32);
                println!(
                    "FN w={w:.1} {l:?}\n   {:?}\n   {:?}",
                    short(&recs[j]),
                    short(&recs[i])
                );
            }
            _ => {}
        }
    }
    for f in 0..5 {
        let w: Vec<String> = (0..nrm_linkage::compare::LEVELS[f])
            .map(|l| format!("{:+.1}", out.model.field_weight(f, l as u8)))
            .collect();
        println!("{:14} {}", nrm_linkage::compare::FIELDS[f], w.join(" "));
    }
}

fn short(r: &nrm_linkage::synth::SynthRecord) -> String {
    format!(
        "{} | {} | {} | {} | {} {} {}",
        r.given_names, r.family_name, r.date_of_birth, r.sex, r.address, r.town, r.postcode
    )
}
