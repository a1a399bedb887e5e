//! Synthetic case facts shared by the extract and HTCDS tests: a deterministic mix in 2024,
//! varied enough that some combinations are rare.

use chrono::NaiveDate;
use nrm_domain::event::{CompetentAuthority, Outcome};
use nrm_domain::exploitation::{ExploitationType, LocationClass};
use nrm_domain::geography::{Country, PoliceForceArea, UkNation};
use nrm_domain::submission::{AgeAtExploitation, FirstResponderType, Gender};
use nrm_stats::Fact;
use nrm_stats::facts::{DecisionFact, Kind, Nationality, Stage, TypeSet};

const COUNTRIES: [&str; 8] = ["GB", "AL", "VN", "ER", "SD", "RO", "CN", "PL"];

pub fn fact(seed: u64) -> ([u8; 16], Fact) {
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

pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

pub fn case_file(n: usize, seed: u64) -> Vec<([u8; 16], Fact)> {
    (0..n as u64).map(|i| fact(splitmix(seed ^ i))).collect()
}
