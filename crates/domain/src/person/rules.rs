//! The person rulebook (`rulebook/persons.json`): dated match bands for intake linkage and the
//! rule on additional recovery periods for a person referred again (NABA 2022 s62).

use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::rules::Dated;

/// Probability bands (in thousandths) of intake linkage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchBands {
    /// At or above: the referral joins the earlier person automatically.
    pub automatic_permille: u16,
    /// At or above (and below `automatic_permille`): a decision maker reviews the match.
    pub review_permille: u16,
}

/// What intake does with a match of a given probability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    Automatic,
    Review,
    Unlikely,
}

impl MatchBands {
    pub fn band(&self, probability: f64) -> Band {
        let permille = probability_permille(probability);
        if permille >= self.automatic_permille {
            Band::Automatic
        } else if permille >= self.review_permille {
            Band::Review
        } else {
            Band::Unlikely
        }
    }
}

/// A probability in whole thousandths, rounded down (so 0.9899 is not 990).
pub fn probability_permille(probability: f64) -> u16 {
    if probability.is_nan() {
        return 0;
    }
    (probability.clamp(0.0, 1.0) * 1000.0).floor() as u16
}

/// Whether a person referred again gets another recovery period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdditionalRecoveryRule {
    /// Every positive RG starts a recovery period.
    EveryPositiveReasonableGrounds,
    /// After a first recovery period, another only if the competent authority considers it
    /// appropriate (NABA 2022 s62).
    CompetentAuthorityDiscretion,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonRulebookData {
    pub version: String,
    pub published_on: NaiveDate,
    pub notes: String,
    pub match_bands: Vec<Dated<MatchBands>>,
    pub additional_recovery_period: Vec<Dated<AdditionalRecoveryRule>>,
}

fn ordered<T>(name: &str, entries: &[Dated<T>]) -> Result<(), String> {
    if entries.is_empty() {
        return Err(format!("{name} has no entries"));
    }
    if entries.windows(2).any(|w| w[0].from >= w[1].from) {
        return Err(format!(
            "{name} entries must be in strictly increasing date order"
        ));
    }
    Ok(())
}

impl PersonRulebookData {
    pub fn parse(json: &str) -> Result<Self, String> {
        let d: Self = serde_json::from_str(json).map_err(|e| e.to_string())?;
        ordered("match_bands", &d.match_bands)?;
        ordered("additional_recovery_period", &d.additional_recovery_period)?;
        if d.match_bands.iter().any(|e| {
            e.value.review_permille == 0
                || e.value.review_permille > e.value.automatic_permille
                || e.value.automatic_permille > 1000
        }) {
            return Err("match bands need 0 < review <= automatic <= 1000".to_owned());
        }
        Ok(d)
    }
}

static SHIPPED: LazyLock<Result<PersonRulebookData, String>> =
    LazyLock::new(|| PersonRulebookData::parse(include_str!("../../rulebook/persons.json")));

fn in_force<T>(entries: &[Dated<T>], on: NaiveDate) -> &Dated<T> {
    entries
        .iter()
        .rev()
        .find(|e| e.from <= on)
        .or(entries.first())
        .unwrap_or_else(|| panic!("person rulebook lists are checked non-empty at parse time"))
}

/// The person rules this build ships. Cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonRules {
    data: &'static PersonRulebookData,
}

impl PersonRules {
    /// The shipped rules (checked by a unit test; panics at start-up rather than linking people
    /// under unknown rules).
    pub fn current() -> Self {
        match &*SHIPPED {
            Ok(data) => Self { data },
            Err(e) => panic!("the shipped person rulebook is invalid: {e}"),
        }
    }

    pub fn version(&self) -> &str {
        &self.data.version
    }

    /// The match bands in force on `on` (the referral's date).
    pub fn match_bands(&self, on: NaiveDate) -> &'static Dated<MatchBands> {
        in_force(&self.data.match_bands, on)
    }

    /// The additional recovery period rule in force on `on` (the new RG's date).
    pub fn additional_recovery_rule(
        &self,
        on: NaiveDate,
    ) -> &'static Dated<AdditionalRecoveryRule> {
        in_force(&self.data.additional_recovery_period, on)
    }
}

/// An earlier positive Reasonable Grounds decision of the same person (another referral).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlierPositiveRg {
    pub reference: String,
    pub decided_on: NaiveDate,
}

/// What the person's history means for the recovery period of a positive RG on a new referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdditionalRecoveryPeriod {
    /// No earlier recovery period is known: the positive RG starts one as usual.
    Entitled,
    /// An earlier referral started a recovery period, but the rule then gave every positive RG
    /// its own.
    EntitledUnderEarlierRule {
        earlier: Vec<EarlierPositiveRg>,
        source: &'static str,
    },
    /// An earlier referral already started a recovery period: under s62 another is not an
    /// entitlement; the competent authority decides whether one is appropriate.
    CompetentAuthorityDecides {
        earlier: Vec<EarlierPositiveRg>,
        source: &'static str,
        uncertain: bool,
    },
}

/// Applies the dated rule to the person's history: `earlier` are the positive RGs of the
/// person's other referrals, `rg_on` the date of the RG on this referral (or the day it is
/// being considered).
pub fn additional_recovery_period(
    rules: &PersonRules,
    earlier: &[EarlierPositiveRg],
    rg_on: NaiveDate,
) -> AdditionalRecoveryPeriod {
    let earlier: Vec<EarlierPositiveRg> = earlier
        .iter()
        .filter(|e| e.decided_on <= rg_on)
        .cloned()
        .collect();
    if earlier.is_empty() {
        return AdditionalRecoveryPeriod::Entitled;
    }
    let rule = rules.additional_recovery_rule(rg_on);
    match rule.value {
        AdditionalRecoveryRule::EveryPositiveReasonableGrounds => {
            AdditionalRecoveryPeriod::EntitledUnderEarlierRule {
                earlier,
                source: &rule.source,
            }
        }
        AdditionalRecoveryRule::CompetentAuthorityDiscretion => {
            AdditionalRecoveryPeriod::CompetentAuthorityDecides {
                earlier,
                source: &rule.source,
                uncertain: rule.certainty == crate::rules::Certainty::Uncertain,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_else(|| panic!("a date"))
    }

    #[test]
    fn the_shipped_rulebook_parses() {
        let r = PersonRules::current();
        assert_eq!(r.version(), "persons-2026.1");
        let b = r.match_bands(d(2026, 1, 1)).value;
        assert_eq!(b.band(0.995), Band::Automatic);
        assert_eq!(b.band(0.9899), Band::Review);
        assert_eq!(b.band(0.5), Band::Review);
        assert_eq!(b.band(0.1), Band::Unlikely);
        assert_eq!(b.band(f64::NAN), Band::Unlikely);
    }

    #[test]
    fn bands_out_of_order_are_refused() {
        let json = include_str!("../../rulebook/persons.json")
            .replace("\"review_permille\": 200", "\"review_permille\": 995");
        assert!(PersonRulebookData::parse(&json).is_err());
    }

    #[test]
    fn s62_applies_from_its_commencement_to_a_person_referred_again() {
        let r = PersonRules::current();
        let earlier = vec![EarlierPositiveRg {
            reference: "NRM-1".to_owned(),
            decided_on: d(2021, 3, 1),
        }];
        assert_eq!(
            additional_recovery_period(&r, &[], d(2024, 1, 1)),
            AdditionalRecoveryPeriod::Entitled
        );
        assert!(matches!(
            additional_recovery_period(&r, &earlier, d(2022, 6, 1)),
            AdditionalRecoveryPeriod::EntitledUnderEarlierRule { .. }
        ));
        assert!(matches!(
            additional_recovery_period(&r, &earlier, d(2023, 1, 30)),
            AdditionalRecoveryPeriod::CompetentAuthorityDecides {
                uncertain: true,
                ..
            }
        ));
        // An RG of the other referral made after this one's does not count.
        assert_eq!(
            additional_recovery_period(&r, &earlier, d(2021, 2, 1)),
            AdditionalRecoveryPeriod::Entitled
        );
    }
}
