//! The ICTG rulebook: where the service runs (areas, each with the local authorities and police
//! force areas it covers, from and until when), which roles exist on a date, and the dated
//! working rules for what is due. Shipped as `crates/domain/rulebook/children.json`; every entry
//! names its source and certainty. Checked when parsed: lists non-empty and in date order, area
//! codes unique, every police force area known.

use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::geography::{PoliceForceArea, UkNation};
use crate::rules::{Certainty, Dated};

use super::event::GuardianRole;

/// One area the ICTG service covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IctgArea {
    pub code: String,
    pub name: String,
    pub nation: UkNation,
    /// First day a child referred here gets a guardian.
    pub from: NaiveDate,
    /// Last day, if the area stopped.
    pub to: Option<NaiveDate>,
    /// Local authority codes (lower-case slugs).
    pub local_authorities: Vec<String>,
    /// Police force area codes.
    pub police_force_areas: Vec<String>,
    /// From when a Post-18 worker is provided here, if ever.
    pub post_18_worker_from: Option<NaiveDate>,
    pub source: String,
    pub certainty: Certainty,
}

impl IctgArea {
    pub fn in_force(&self, on: NaiveDate) -> bool {
        self.from <= on && self.to.is_none_or(|to| on <= to)
    }

    /// Whether a Post-18 worker is provided here on `on`.
    pub fn post_18_worker(&self, on: NaiveDate) -> bool {
        self.in_force(on) && self.post_18_worker_from.is_some_and(|from| from <= on)
    }
}

/// Which optional roles exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    pub regional_practitioner: bool,
}

/// Days between contacts, by the role allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactIntervals {
    pub direct_worker: u32,
    pub regional_practice_coordinator: u32,
    pub regional_practitioner: u32,
    pub post_18_worker: u32,
}

impl ContactIntervals {
    pub fn for_role(&self, role: GuardianRole) -> u32 {
        match role {
            GuardianRole::DirectWorker => self.direct_worker,
            GuardianRole::RegionalPracticeCoordinator => self.regional_practice_coordinator,
            GuardianRole::RegionalPractitioner => self.regional_practitioner,
            GuardianRole::Post18Worker => self.post_18_worker,
        }
    }
}

/// The children's rulebook as shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildrenRulebookData {
    pub version: String,
    pub published_on: NaiveDate,
    pub notes: String,
    pub ictg_areas: Vec<IctgArea>,
    pub roles: Vec<Dated<Roles>>,
    pub allocation_days: Vec<Dated<u32>>,
    pub contact_interval_days: Vec<Dated<ContactIntervals>>,
    pub turning_18_notice_days: Vec<Dated<u32>>,
    pub post_18_support_days: Vec<Dated<u32>>,
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

impl ChildrenRulebookData {
    /// Parses and checks the children's rulebook JSON.
    pub fn parse(json: &str) -> Result<Self, String> {
        let d: Self = serde_json::from_str(json).map_err(|e| e.to_string())?;
        ordered("roles", &d.roles)?;
        ordered("allocation_days", &d.allocation_days)?;
        ordered("contact_interval_days", &d.contact_interval_days)?;
        ordered("turning_18_notice_days", &d.turning_18_notice_days)?;
        ordered("post_18_support_days", &d.post_18_support_days)?;
        if d.ictg_areas.is_empty() {
            return Err("ictg_areas has no entries".to_owned());
        }
        let mut codes = std::collections::BTreeSet::new();
        for a in &d.ictg_areas {
            if !codes.insert(a.code.as_str()) {
                return Err(format!("ictg area {} is listed twice", a.code));
            }
            if a.to.is_some_and(|to| to < a.from) {
                return Err(format!("ictg area {} ends before it starts", a.code));
            }
            if a.post_18_worker_from.is_some_and(|p| p < a.from) {
                return Err(format!(
                    "ictg area {} has a Post-18 worker before the area starts",
                    a.code
                ));
            }
            if let Some(bad) = a
                .police_force_areas
                .iter()
                .find(|p| PoliceForceArea::parse(p).is_none())
            {
                return Err(format!(
                    "ictg area {} names an unknown police force area {bad}",
                    a.code
                ));
            }
            if a.local_authorities.iter().any(|la| *la != slug(la)) {
                return Err(format!(
                    "ictg area {} has a local authority code that is not a lower-case slug",
                    a.code
                ));
            }
        }
        Ok(d)
    }
}

/// A local authority name or code as a lower-case slug: `"Isle of Wight"` → `isle-of-wight`.
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for c in s.trim().chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else if c != '\'' {
            dash = true;
        }
    }
    out
}

static SHIPPED: LazyLock<Result<ChildrenRulebookData, String>> =
    LazyLock::new(|| ChildrenRulebookData::parse(include_str!("../../../rulebook/children.json")));

/// The children's rules with their history. Cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildrenRules {
    data: &'static ChildrenRulebookData,
}

/// The entry in force on `on`, or `None` before the first.
fn in_force<T>(entries: &[Dated<T>], on: NaiveDate) -> Option<&Dated<T>> {
    entries.iter().rev().find(|e| e.from <= on)
}

/// The entry in force on `on`, or the first entry for earlier dates.
fn in_force_or_first<T>(entries: &[Dated<T>], on: NaiveDate) -> &Dated<T> {
    in_force(entries, on)
        .or(entries.first())
        .unwrap_or_else(|| panic!("children rulebook lists are checked non-empty at parse time"))
}

impl ChildrenRules {
    /// The rules this build ships (checked by a unit test; panics at start-up rather than
    /// allocating guardians under unknown rules).
    pub fn current() -> Self {
        match &*SHIPPED {
            Ok(data) => Self { data },
            Err(e) => panic!("the shipped children rulebook is invalid: {e}"),
        }
    }

    /// Rules from other data (tests; a leaked copy lives for the program).
    pub fn from_data(data: ChildrenRulebookData) -> Self {
        Self {
            data: Box::leak(Box::new(data)),
        }
    }

    pub fn version(&self) -> &str {
        &self.data.version
    }

    pub fn data(&self) -> &'static ChildrenRulebookData {
        self.data
    }

    pub fn area(&self, code: &str) -> Option<&'static IctgArea> {
        self.data.ictg_areas.iter().find(|a| a.code == code)
    }

    /// The ICTG area covering a child referred on `on`: by the local authority area when the
    /// referral names one (where the child lives or was referred), else by the police force
    /// areas where the exploitation happened. `None`: no guardian service there then.
    pub fn covering_area(
        &self,
        local_authority: Option<&str>,
        police_force_areas: &[PoliceForceArea],
        on: NaiveDate,
    ) -> Option<&'static IctgArea> {
        let areas = self.data.ictg_areas.iter().filter(|a| a.in_force(on));
        if let Some(la) = local_authority.map(slug).filter(|s| !s.is_empty()) {
            return areas
                .into_iter()
                .find(|a| a.local_authorities.contains(&la));
        }
        areas.into_iter().find(|a| {
            police_force_areas
                .iter()
                .any(|p| a.police_force_areas.iter().any(|c| c == p.code()))
        })
    }

    pub fn roles(&self, on: NaiveDate) -> Option<&'static Dated<Roles>> {
        in_force(&self.data.roles, on)
    }

    pub fn allocation_days(&self, on: NaiveDate) -> &'static Dated<u32> {
        in_force_or_first(&self.data.allocation_days, on)
    }

    pub fn contact_intervals(&self, on: NaiveDate) -> &'static Dated<ContactIntervals> {
        in_force_or_first(&self.data.contact_interval_days, on)
    }

    pub fn turning_18_notice_days(&self, on: NaiveDate) -> &'static Dated<u32> {
        in_force_or_first(&self.data.turning_18_notice_days, on)
    }

    /// Days of post-18 support from the 18th birthday, when any rule provides it on `on`.
    pub fn post_18_support_days(&self, on: NaiveDate) -> Option<&'static Dated<u32>> {
        in_force(&self.data.post_18_support_days, on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_children_rulebook_parses() {
        assert!(SHIPPED.is_ok(), "{:?}", SHIPPED.as_ref().err());
    }

    #[test]
    fn slugs_are_lower_case_and_dashed() {
        assert_eq!(slug("  Isle of Wight "), "isle-of-wight");
        assert_eq!(slug("St Helen's"), "st-helens");
        assert_eq!(slug("neath-port-talbot"), "neath-port-talbot");
    }

    #[test]
    fn an_unknown_police_force_area_is_refused() {
        let mut json: serde_json::Value =
            serde_json::from_str(include_str!("../../../rulebook/children.json")).expect("json");
        json["ictg_areas"][0]["police_force_areas"] = serde_json::json!(["atlantis"]);
        let err = ChildrenRulebookData::parse(&json.to_string()).expect_err("refused");
        assert!(err.contains("atlantis"), "{err}");
    }

    #[test]
    fn out_of_order_entries_are_refused() {
        let mut json: serde_json::Value =
            serde_json::from_str(include_str!("../../../rulebook/children.json")).expect("json");
        json["turning_18_notice_days"] = serde_json::json!([
            {"from": "2020-01-01", "value": 91, "source": "a", "certainty": "uncertain"},
            {"from": "2019-01-01", "value": 30, "source": "b", "certainty": "uncertain"}
        ]);
        let err = ChildrenRulebookData::parse(&json.to_string()).expect_err("refused");
        assert!(err.contains("turning_18_notice_days"), "{err}");
    }
}
