//! Pseudonymised extracts: every row has at least k-1 twins on its quasi-identifiers
//! (property test over random case files), the rows left out are reported and few, dates are
//! months, and the same case has unrelated pseudonyms in two extracts.

use nrm_stats::Period;
use nrm_stats::extract::{ExtractOptions, QuasiIdentifier, extract, pseudonym, to_csv};
use proptest::prelude::*;

mod common;
use common::case_file;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_row_has_at_least_k_minus_one_twins(n in 50usize..1500, seed in any::<u64>(), k in 2usize..15) {
        let facts = case_file(n, seed);
        let options = ExtractOptions::with_k(k, n);
        let (rows, report) = extract(&facts, Period::Year(2024), &[7; 32], options);
        let mut groups = std::collections::HashMap::new();
        for r in &rows {
            *groups.entry(r.quasi.clone()).or_insert(0usize) += 1;
        }
        for r in &rows {
            prop_assert!(groups[&r.quasi] >= k, "a row with {} twins for k = {k}", groups[&r.quasi] - 1);
        }
        prop_assert_eq!(report.rows + report.suppressed, report.cases);
        prop_assert!(report.suppressed <= options.max_suppressed);
        prop_assert_eq!(report.rows, rows.len());
        // No pseudonym twice.
        let unique: std::collections::HashSet<&String> = rows.iter().map(|r| &r.pseudonym).collect();
        prop_assert_eq!(unique.len(), rows.len());
    }
}

#[test]
fn dates_are_months_and_small_files_are_generalised_not_published_as_recorded() {
    let facts = case_file(400, 42);
    let (rows, report) = extract(
        &facts,
        Period::Year(2024),
        &[1; 32],
        ExtractOptions::with_k(10, 400),
    );
    assert!(!rows.is_empty());
    // 400 cases over a year, 44 areas, many nationalities: k = 10 needs generalising.
    assert!(
        report.levels.iter().any(|(_, level)| *level > 0),
        "{report:?}"
    );
    let month = QuasiIdentifier::ALL
        .iter()
        .position(|q| *q == QuasiIdentifier::ReferralMonth)
        .unwrap_or(0);
    for r in &rows {
        let m = &r.quasi[month];
        // A month (2024-03), a quarter (2024Q1), a year or withheld: never a day.
        assert!(m.len() <= 7, "{m}");
        assert!(r.reasonable_grounds_month.is_empty() || r.reasonable_grounds_month.len() == 7);
    }
    let csv = to_csv(&rows);
    assert!(csv.starts_with("pseudonym,referral_month,age_band,"));
    assert_eq!(csv.lines().count(), rows.len() + 1);
}

#[test]
fn the_same_case_has_unrelated_pseudonyms_in_two_extracts() {
    let id = [9u8; 16];
    let a = pseudonym(&[1; 32], &id);
    let b = pseudonym(&[2; 32], &id);
    assert_eq!(a.len(), 16);
    assert_ne!(a, b);
    assert_eq!(a, pseudonym(&[1; 32], &id));
    // Nor does the pseudonym contain the id.
    assert!(!a.contains("0909"));
}

#[test]
fn k_of_one_publishes_every_case_as_recorded() {
    let facts = case_file(200, 7);
    let (rows, report) = extract(
        &facts,
        Period::Year(2024),
        &[3; 32],
        ExtractOptions {
            k: 1,
            max_suppressed: 0,
        },
    );
    assert_eq!(report.suppressed, 0);
    assert!(report.levels.iter().all(|(_, l)| *l == 0));
    assert_eq!(rows.len(), report.cases);
}
