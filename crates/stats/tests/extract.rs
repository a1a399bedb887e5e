//! Pseudonymised extracts: every row has at least k-1 twins on its quasi-identifiers
//! (property test over random case files), the rows left out are reported and few, dates are
//! months, and the same case has unrelated pseudonyms in two extracts.

use chrono::NaiveDate;
use nrm_domain::event::{CompetentAuthority, Outcome};
use nrm_domain::exploitation::{ExploitationType, LocationClass};
use nrm_domain::geography::{Country, PoliceForceArea, UkNation};
use nrm_domain::submission::{AgeAtExploitation, FirstResponderType, Gender};
use nrm_stats::extract::{ExtractOptions, QuasiIdentifier, extract, pseudonym, to_csv};
use nrm_stats::facts::{DecisionFact, Kind, Nationality, Stage, TypeSet};
use nrm_stats::{Fact, Period};
use proptest::prelude::*;

const COUNTRIES: [&str; 8] = ["GB", "AL", "VN", "ER", "SD", "RO", "CN", "PL"];

fn fact(seed: u64) -> ([u8; 16], Fact) {
    // A small deterministic mix: enough variety that some combinations are rare.
    let pick = |n: u64, shift: u32| ((seed >> shift) % n) as usize;
    let areas: Vec<PoliceForceArea> = PoliceForceArea::all().collect();
    let referred_on = NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(seed % 366)))
        .unwrap_or_default();
    let types = [
        ExploitationType::Labour,
        ExploitationType::Sexual,
        ExploitationType::Criminal,
        ExploitationType::DomesticServitude,
    ];
    let chosen: Vec<ExploitationType> = types
        .iter()
        .enumerate()
        .filter(|(i, _)| (seed >> (20 + i)) & 1 == 1)
        .map(|(_, t)| *t)
        .collect();
    let area = areas[pick(areas.len() as u64, 8)];
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&seed.to_le_bytes());
    id[8] = 0xAB;
    let decisions = if seed.is_multiple_of(3) {
        vec![DecisionFact {
            stage: Stage::ReasonableGrounds,
            decided_on: referred_on,
            outcome: if seed.is_multiple_of(2) {
                Outcome::Positive
            } else {
                Outcome::Negative
            },
            authority: CompetentAuthority::Sca,
            first: true,
        }]
    } else {
        Vec::new()
    };
    (
        id,
        Fact {
            kind: if seed.is_multiple_of(17) {
                Kind::DutyToNotify
            } else {
                Kind::Referral
            },
            referred_on,
            age: [
                AgeAtExploitation::Adult,
                AgeAtExploitation::Child,
                AgeAtExploitation::NotKnown,
            ][pick(3, 30)],
            gender: [
                Gender::Female,
                Gender::Male,
                Gender::Other,
                Gender::NotKnown,
            ][pick(4, 33)],
            nationality: match pick(10, 36) {
                8 => Nationality::Multiple,
                9 => Nationality::NotKnown,
                i => Nationality::Single(
                    Country::parse(COUNTRIES[i % COUNTRIES.len()]).unwrap_or_else(|_| panic!()),
                ),
            },
            exploitation: TypeSet::of(&chosen),
            county_lines: false,
            location: LocationClass::UkOnly,
            police_force_area: (!seed.is_multiple_of(11)).then_some(area),
            nation: Some(if seed.is_multiple_of(11) {
                UkNation::Scotland
            } else {
                area.nation()
            }),
            first_responder: [
                FirstResponderType::Police,
                FirstResponderType::LocalAuthority,
                FirstResponderType::GovernmentAgency,
                FirstResponderType::NonGovernmentalOrganisation,
            ][pick(4, 40)],
            authority: Some(CompetentAuthority::Sca),
            decisions,
            reconsiderations: Vec::new(),
            disqualifications: Vec::new(),
        },
    )
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn case_file(n: usize, seed: u64) -> Vec<([u8; 16], Fact)> {
    (0..n as u64).map(|i| fact(splitmix(seed ^ i))).collect()
}

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
