//! The support rulebook: dated rules for victim support, per nation where they differ.
//!
//! Shipped as `crates/domain/rulebook/support.json` beside the main rulebook (whose
//! `move_on_support` gives the move-on period after a positive CG and the exit period after a
//! negative decision). Each list is checked non-empty and in date order when parsed.

use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::geography::UkNation;
use crate::rules::Dated;

use super::accommodation::AccommodationType;

/// What support a nation gives adults, and for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NationSupport {
    /// The contract or scheme in force.
    pub contract: String,
    /// A fixed period from a positive RG (Scotland 90, Northern Ireland 45); `None`: needs-based
    /// until the CG (England and Wales).
    pub days_from_positive_reasonable_grounds: Option<u32>,
    /// Whether support ends at the CG if that comes first.
    pub ends_at_conclusive_grounds: bool,
    /// Whether a positive CG is followed by move-on support (main rulebook `move_on_support`).
    pub move_on_after_positive_conclusive_grounds: bool,
    /// Whether Reach-In support is available after exit following a positive CG.
    pub reach_in: bool,
}

/// The per-nation sections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportPeriods {
    pub england_and_wales: Vec<Dated<NationSupport>>,
    pub scotland: Vec<Dated<NationSupport>>,
    pub northern_ireland: Vec<Dated<NationSupport>>,
}

/// Hours from referral to allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationTarget {
    pub emergency: u32,
    pub standard: u32,
}

/// Hours from escalation to the Home Office's acknowledgement, by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgementTarget {
    pub high: u32,
    pub medium: u32,
}

/// Weekly subsistence in pence, by how the person is accommodated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubsistenceRates {
    pub catered: u32,
    pub self_catered: u32,
    pub outreach: u32,
}

impl SubsistenceRates {
    pub fn weekly(&self, kind: AccommodationType) -> u32 {
        match kind {
            AccommodationType::Catered => self.catered,
            AccommodationType::SelfCatered => self.self_catered,
            AccommodationType::Outreach => self.outreach,
        }
    }
}

/// The support rulebook as shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportRulebookData {
    pub version: String,
    pub published_on: NaiveDate,
    pub notes: String,
    pub support_period: SupportPeriods,
    pub allocation_target_hours: Vec<Dated<AllocationTarget>>,
    pub safeguarding_review_interval_days: Vec<Dated<u32>>,
    pub escalation_acknowledgement_hours: Vec<Dated<AcknowledgementTarget>>,
    pub recovery_needs_decision_working_days: Vec<Dated<u32>>,
    pub inspection_interval_days: Vec<Dated<u32>>,
    pub subsistence_weekly_pence: Vec<Dated<SubsistenceRates>>,
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

impl SupportRulebookData {
    /// Parses and checks the support rulebook JSON.
    pub fn parse(json: &str) -> Result<Self, String> {
        let d: Self = serde_json::from_str(json).map_err(|e| e.to_string())?;
        ordered(
            "support_period.england_and_wales",
            &d.support_period.england_and_wales,
        )?;
        ordered("support_period.scotland", &d.support_period.scotland)?;
        ordered(
            "support_period.northern_ireland",
            &d.support_period.northern_ireland,
        )?;
        ordered("allocation_target_hours", &d.allocation_target_hours)?;
        ordered(
            "safeguarding_review_interval_days",
            &d.safeguarding_review_interval_days,
        )?;
        ordered(
            "escalation_acknowledgement_hours",
            &d.escalation_acknowledgement_hours,
        )?;
        ordered(
            "recovery_needs_decision_working_days",
            &d.recovery_needs_decision_working_days,
        )?;
        ordered("inspection_interval_days", &d.inspection_interval_days)?;
        ordered("subsistence_weekly_pence", &d.subsistence_weekly_pence)?;
        if d.subsistence_weekly_pence
            .iter()
            .any(|e| e.value.catered == 0 || e.value.self_catered == 0 || e.value.outreach == 0)
        {
            return Err("subsistence rates must be positive".to_owned());
        }
        Ok(d)
    }
}

static SHIPPED: LazyLock<Result<SupportRulebookData, String>> =
    LazyLock::new(|| SupportRulebookData::parse(include_str!("../../rulebook/support.json")));

/// The support rules in force, with their history. Cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportRules {
    data: &'static SupportRulebookData,
}

/// The entry in force on `on`, or the first entry for earlier dates.
fn in_force<T>(entries: &[Dated<T>], on: NaiveDate) -> &Dated<T> {
    entries
        .iter()
        .rev()
        .find(|e| e.from <= on)
        .or(entries.first())
        .unwrap_or_else(|| panic!("support rulebook lists are checked non-empty at parse time"))
}

impl SupportRules {
    /// The support rules this build ships (checked by a unit test; panics at start-up rather
    /// than supporting people under unknown rules).
    pub fn current() -> Self {
        match &*SHIPPED {
            Ok(data) => Self { data },
            Err(e) => panic!("the shipped support rulebook is invalid: {e}"),
        }
    }

    pub fn version(&self) -> &str {
        &self.data.version
    }

    pub fn data(&self) -> &'static SupportRulebookData {
        self.data
    }

    /// The support `nation` gives, chosen by the date that matters (the RG date for the
    /// period it starts; the referral date for entry).
    pub fn nation(&self, nation: UkNation, on: NaiveDate) -> &'static Dated<NationSupport> {
        let list = match nation {
            UkNation::England | UkNation::Wales => &self.data.support_period.england_and_wales,
            UkNation::Scotland => &self.data.support_period.scotland,
            UkNation::NorthernIreland => &self.data.support_period.northern_ireland,
        };
        in_force(list, on)
    }

    /// Hours to allocate a referral made on `on`.
    pub fn allocation_target(&self, on: NaiveDate) -> &'static Dated<AllocationTarget> {
        in_force(&self.data.allocation_target_hours, on)
    }

    /// Days between safeguarding reviews, by the date of the last review (or of entry).
    pub fn safeguarding_review_interval(&self, on: NaiveDate) -> &'static Dated<u32> {
        in_force(&self.data.safeguarding_review_interval_days, on)
    }

    /// Hours for the Home Office to acknowledge an escalation made on `on`.
    pub fn acknowledgement_target(&self, on: NaiveDate) -> &'static Dated<AcknowledgementTarget> {
        in_force(&self.data.escalation_acknowledgement_hours, on)
    }

    /// Working days for the Home Office to decide an RNA submitted on `on`.
    pub fn recovery_needs_decision(&self, on: NaiveDate) -> &'static Dated<u32> {
        in_force(&self.data.recovery_needs_decision_working_days, on)
    }

    /// Days between inspections of a safe house, by the date of the last inspection.
    pub fn inspection_interval(&self, on: NaiveDate) -> &'static Dated<u32> {
        in_force(&self.data.inspection_interval_days, on)
    }

    /// The weekly subsistence rates in force on `on` (a rate change takes effect from its day,
    /// so a week that spans one is paid at each rate for its own days).
    pub fn subsistence(&self, on: NaiveDate) -> &'static Dated<SubsistenceRates> {
        in_force(&self.data.subsistence_weekly_pence, on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_support_rulebook_parses() {
        assert!(SHIPPED.is_ok(), "{:?}", SHIPPED.as_ref().err());
    }

    #[test]
    fn out_of_order_entries_are_refused() {
        let mut json: serde_json::Value =
            serde_json::from_str(include_str!("../../rulebook/support.json")).expect("json");
        json["safeguarding_review_interval_days"] = serde_json::json!([
            {"from": "2020-01-01", "value": 28, "source": "a", "certainty": "verified"},
            {"from": "2019-01-01", "value": 14, "source": "b", "certainty": "verified"}
        ]);
        let err = SupportRulebookData::parse(&json.to_string()).expect_err("refused");
        assert!(err.contains("safeguarding_review_interval_days"));
    }
}
