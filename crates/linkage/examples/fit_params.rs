//! Prints a model fitted on generated people as JSON (m, u, lambda, household, twins, at_address), for a
//! system that ships a parameter set instead of fitting at start:
//! `cargo run -p nrm-linkage --features synth --example fit_params -- PEOPLE > params.json`.

use nrm_linkage::synth::Generator;
use nrm_linkage::{Settings, fit};

fn main() {
    let people: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let mut g = Generator::new(7);
    let mut recs = Vec::new();
    let mut n = 0;
    while n < people {
        n += g.next_household(&mut recs);
    }
    let ds = nrm_linkage::synth::dataset(&recs);
    let model = fit(&ds, &Settings::default(), &mut |_| {}).model;
    let rows = |t: &[[f64; 6]; 5]| {
        t.iter()
            .map(|r| {
                let cells: Vec<String> = r.iter().map(|v| format!("{v:.6e}")).collect();
                format!("[{}]", cells.join(", "))
            })
            .collect::<Vec<_>>()
            .join(",\n    ")
    };
    println!(
        "{{\n  \"fitted_on\": \"{} generated records of {people} people (nrm-linkage synth, seed 7)\",\n  \"m\": [\n    {}\n  ],\n  \"u\": [\n    {}\n  ],\n  \"lambda\": {:.6e},\n  \"household\": [{:.6}, {:.6}],\n  \"twins\": [{:.6}, {:.6}],\n  \"at_address\": [\n    {}\n  ]\n}}",
        recs.len(),
        rows(&model.m),
        rows(&model.u),
        model.lambda,
        model.household[0],
        model.household[1],
        model.twins[0],
        model.twins[1],
        model
            .at_address
            .iter()
            .map(|r| {
                let cells: Vec<String> = r.iter().map(|v| format!("{v:.6}")).collect();
                format!("[{}]", cells.join(", "))
            })
            .collect::<Vec<_>>()
            .join(",\n    ")
    );
}
