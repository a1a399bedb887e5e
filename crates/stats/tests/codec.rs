//! The read model's encoding of a fact: every fact comes back as it went in, and bytes that
//! are not a whole row of this format are refused (so the case is folded again), never
//! misread; and the span of days kept beside it covers every period it is counted in.

use chrono::NaiveDate;
use nrm_domain::event::{CompetentAuthority, DisqualificationGround, Outcome};
use nrm_domain::exploitation::LocationClass;
use nrm_domain::geography::{Country, PoliceForceArea, UkNation};
use nrm_domain::submission::{AgeAtExploitation, FirstResponderType, Gender};
use nrm_stats::codec::{Decoder, encode, format};
use nrm_stats::facts::{
    DecisionFact, DisqualificationFact, Kind, Nationality, ReconsiderationFact, Stage, TypeSet,
};
use nrm_stats::{Fact, Period, quarters, span, touches};
use proptest::prelude::*;

fn day() -> impl Strategy<Value = NaiveDate> {
    // From 1990 to 2060: before the NRM began and long after any case.
    (0i32..25_000).prop_map(|d| {
        NaiveDate::from_ymd_opt(1990, 1, 1)
            .and_then(|s| s.checked_add_signed(chrono::Duration::days(i64::from(d))))
            .unwrap_or_default()
    })
}

fn authority() -> impl Strategy<Value = CompetentAuthority> {
    prop_oneof![
        Just(CompetentAuthority::Sca),
        Just(CompetentAuthority::Ieca),
        Just(CompetentAuthority::LocalAuthorityPanel),
    ]
}

fn stage() -> impl Strategy<Value = Stage> {
    prop_oneof![
        Just(Stage::ReasonableGrounds),
        Just(Stage::ConclusiveGrounds)
    ]
}

fn nationality() -> impl Strategy<Value = Nationality> {
    let countries = ["GB", "AL", "VN", "ER", "SD", "XK", "ZW", "AD"];
    prop_oneof![
        Just(Nationality::NotKnown),
        Just(Nationality::Multiple),
        (0..countries.len()).prop_map(move |i| Nationality::Single(
            Country::parse(countries[i]).unwrap_or(Country::UNITED_KINGDOM)
        )),
    ]
}

fn area() -> impl Strategy<Value = Option<PoliceForceArea>> {
    let areas: Vec<PoliceForceArea> = PoliceForceArea::all().collect();
    let n = areas.len();
    prop_oneof![Just(None), (0..n).prop_map(move |i| Some(areas[i]))]
}

fn decision() -> impl Strategy<Value = DecisionFact> {
    (stage(), day(), any::<bool>(), authority(), any::<bool>()).prop_map(
        |(stage, decided_on, positive, authority, first)| DecisionFact {
            stage,
            decided_on,
            outcome: if positive {
                Outcome::Positive
            } else {
                Outcome::Negative
            },
            authority,
            first,
        },
    )
}

fn reconsideration() -> impl Strategy<Value = ReconsiderationFact> {
    (stage(), day(), proptest::option::of((day(), any::<bool>()))).prop_map(
        |(stage, requested_on, decided)| ReconsiderationFact {
            stage,
            requested_on,
            decided,
        },
    )
}

fn disqualification() -> impl Strategy<Value = DisqualificationFact> {
    (day(), any::<bool>(), authority()).prop_map(|(decided_on, bad_faith, authority)| {
        DisqualificationFact {
            decided_on,
            ground: if bad_faith {
                DisqualificationGround::BadFaith
            } else {
                DisqualificationGround::PublicOrder
            },
            authority,
        }
    })
}

prop_compose! {
    fn fact()(
        dtn in any::<bool>(),
        referred_on in day(),
        age in prop_oneof![
            Just(AgeAtExploitation::Adult),
            Just(AgeAtExploitation::Child),
            Just(AgeAtExploitation::NotKnown),
        ],
        gender in prop_oneof![
            Just(Gender::Female),
            Just(Gender::Male),
            Just(Gender::Other),
            Just(Gender::NotKnown),
        ],
        nationality in nationality(),
        types in any::<u8>(),
        county_lines in any::<bool>(),
        location in prop_oneof![
            Just(LocationClass::UkOnly),
            Just(LocationClass::OverseasOnly),
            Just(LocationClass::UkAndOverseas),
            Just(LocationClass::NotSpecified),
        ],
        police_force_area in area(),
        nation in proptest::option::of(prop_oneof![
            Just(UkNation::England),
            Just(UkNation::Wales),
            Just(UkNation::Scotland),
            Just(UkNation::NorthernIreland),
        ]),
        first_responder in prop_oneof![
            Just(FirstResponderType::Police),
            Just(FirstResponderType::LocalAuthority),
            Just(FirstResponderType::GovernmentAgency),
            Just(FirstResponderType::NonGovernmentalOrganisation),
        ],
        authority in proptest::option::of(authority()),
        decisions in proptest::collection::vec(decision(), 0..6),
        reconsiderations in proptest::collection::vec(reconsideration(), 0..4),
        disqualifications in proptest::collection::vec(disqualification(), 0..3),
    ) -> Fact {
        Fact {
            kind: if dtn { Kind::DutyToNotify } else { Kind::Referral },
            referred_on,
            age,
            gender,
            nationality,
            exploitation: TypeSet(types),
            county_lines,
            location,
            police_force_area,
            nation,
            first_responder,
            authority,
            decisions,
            reconsiderations,
            disqualifications,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn every_fact_comes_back_as_it_went_in(f in fact()) {
        let bytes = encode(Some(&f));
        let mut decoder = Decoder::new();
        prop_assert_eq!(decoder.decode(&bytes), Some(Some(f.clone())));
        // The same decoder again (its remembered countries are only a shortcut).
        prop_assert_eq!(decoder.decode(&bytes), Some(Some(f)));
    }

    #[test]
    fn a_cut_or_lengthened_row_is_refused(f in fact(), extra in any::<u8>()) {
        let bytes = encode(Some(&f));
        let mut decoder = Decoder::new();
        for cut in 0..bytes.len() {
            prop_assert_eq!(decoder.decode(&bytes[..cut]), None, "cut at {}", cut);
        }
        let mut longer = bytes.clone();
        longer.push(extra);
        prop_assert_eq!(decoder.decode(&longer), None);
    }

    /// The span kept beside a fact never leaves out a period the fact is counted in: a store
    /// that hands back only the facts whose span meets the period loses none of its tables'.
    #[test]
    fn a_fact_counted_in_a_period_has_a_span_that_meets_it(
        f in fact(),
        year in 1990i32..2060,
        quarter in 0u32..5,
    ) {
        let period = if quarter == 0 {
            Period::Year(year)
        } else {
            Period::Quarter { year, quarter }
        };
        let (from, to) = span(&f);
        prop_assert!(from <= to);
        prop_assert!(from <= f.referred_on && f.referred_on <= to);
        if touches(period, &f) {
            prop_assert!(from <= period.end() && to >= period.start(), "{} {:?}", period, (from, to));
        }
        // Both ends are days a table counts the fact by: the span is no wider than it must be.
        prop_assert!(touches(Period::quarter_of(from), &f), "{}", from);
        prop_assert!(touches(Period::quarter_of(to), &f), "{}", to);
    }

    /// The quarters kept beside a fact are exactly those whose tables count it: a store that
    /// hands back the facts of a period's quarters loses none of the period's and reads no
    /// fact that is in none of its tables.
    #[test]
    fn a_fact_is_counted_in_a_period_exactly_when_one_of_its_quarters_is_the_periods(
        f in fact(),
        year in 1990i32..2060,
        quarter in 0u32..5,
    ) {
        let kept = quarters(&f);
        prop_assert!(!kept.is_empty());
        prop_assert!(kept.windows(2).all(|w| w[0] < w[1]), "{:?}", kept);
        let (from, to) = span(&f);
        prop_assert_eq!(kept.first().copied(), Some(Period::quarter_number(from)));
        prop_assert_eq!(kept.last().copied(), Some(Period::quarter_number(to)));
        // Every period the fact's own days fall in, and one drawn at random.
        let mut periods = vec![if quarter == 0 {
            Period::Year(year)
        } else {
            Period::Quarter { year, quarter }
        }];
        for q in &kept {
            let (y, n) = (q.div_euclid(4), q.rem_euclid(4) as u32 + 1);
            periods.extend([Period::Quarter { year: y, quarter: n }, Period::Year(y)]);
            if n < 4 {
                // The quarter after one of the fact's: counted there only if kept there too.
                periods.push(Period::Quarter { year: y, quarter: n + 1 });
            }
        }
        for period in periods {
            let (first, last) = period.quarter_numbers();
            let kept_in = kept.iter().any(|q| (first..=last).contains(q));
            prop_assert_eq!(touches(period, &f), kept_in, "{} {:?}", period, kept);
        }
    }

    #[test]
    fn any_bytes_are_read_or_refused_without_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let mut decoder = Decoder::new();
        if let Some(Some(f)) = decoder.decode(&bytes) {
            // What is read is a fact that encodes back to the same bytes.
            prop_assert_eq!(encode(Some(&f)), bytes);
        }
    }
}

#[test]
fn a_case_with_no_fact_is_kept_as_such() {
    let bytes = encode(None);
    assert_eq!(Decoder::new().decode(&bytes), Some(None));
    assert_eq!(Decoder::new().decode(&[]), None);
    assert_eq!(Decoder::new().decode(&[7]), None);
}

#[test]
fn the_format_is_a_positive_number_fixed_for_the_process() {
    let f = format();
    assert!(f > 0);
    assert_eq!(f, format());
}
