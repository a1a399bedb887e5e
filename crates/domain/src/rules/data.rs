//! The rulebook's data types and the checks its JSON must pass.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::geography::UkNation;

/// How firmly a source supports a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    Verified,
    /// The date or value could not be confirmed: check before production use.
    Uncertain,
}

/// One dated value: in force from `from` (inclusive) until the next entry's `from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dated<T> {
    pub from: NaiveDate,
    pub value: T,
    /// Where the rule comes from, shown to caseworkers when a command breaks it.
    pub source: String,
    pub certainty: Certainty,
}

/// Which review a negative decision (RG, CG) or a disqualification needs before it is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    None,
    /// A chair and at least two members from different agencies (negative CGs of the SCA,
    /// 2019 – December 2022).
    MultiAgencyAssurancePanel,
    /// A second caseworker or manager, never the decision's maker (from December 2022).
    SecondCaseworker,
    /// Single Competent Authority quality assurance of a devolved pilot panel's negative
    /// decision, by someone outside the deciding local authority (the pilot's own route: MAAPs
    /// never reviewed pilot decisions).
    ScaQualityAssurance,
}

impl ReviewKind {
    /// Whether a decision recorded with this review (or none) must wait for it.
    pub fn required(kind: Option<Self>) -> bool {
        !matches!(kind, None | Some(Self::None))
    }
}

/// Who may ask for a decision to be reconsidered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requester {
    FirstResponder,
    SupportProvider,
    PotentialVictim,
    LegalRepresentative,
}

/// The reconsideration rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reconsideration {
    /// Calendar days from service of the negative decision; `None`: no fixed limit.
    pub window_days: Option<u32>,
    pub requesters: Vec<Requester>,
    /// Whether people facing removal are excluded (guidance para 14.216 from 17 Sep 2025).
    pub excludes_people_facing_removal: bool,
}

/// A support period, in the unit the rule gives it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportPeriod {
    Hours(u32),
    WorkingDays(u32),
    CalendarDays(u32),
}

impl std::fmt::Display for SupportPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Hours(n) => write!(f, "{n} hours"),
            Self::WorkingDays(n) => write!(f, "{n} working days"),
            Self::CalendarDays(n) => write!(f, "{n} days"),
        }
    }
}

/// Move-on and exit support periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveOnSupport {
    /// Calendar days of move-on support after a positive CG.
    pub after_positive_conclusive_grounds_days: u32,
    /// Whether that period is a minimum (support continues while needs remain) rather than a
    /// fixed end.
    pub after_positive_is_minimum: bool,
    /// Exit support after a negative decision.
    pub after_negative_decision: SupportPeriod,
    /// Whether a Recovery Needs Assessment can recommend support beyond the move-on period.
    pub recovery_needs_assessment: bool,
}

/// Which competent authorities exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthoritiesInForce {
    pub single_competent_authority: bool,
    pub immigration_enforcement: bool,
    pub child_decision_pilot: bool,
}

/// A local authority running the devolved child decision-making pilot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PilotSite {
    pub code: String,
    pub name: String,
    pub nation: UkNation,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    /// Whether the dates are confirmed (a start known only to the month is `uncertain`).
    #[serde(default = "verified")]
    pub certainty: Certainty,
    /// Earlier names, each used until the day before the next name (or `name`) took over.
    #[serde(default)]
    pub former_names: Vec<FormerName>,
    /// The pilot site the authority belongs to, when a site is several authorities jointly
    /// (the 20 sites of 2023 covered about 30 local authorities).
    #[serde(default)]
    pub site: Option<String>,
    /// Where the entry comes from.
    #[serde(default)]
    pub source: Option<String>,
}

/// A phase of the devolved child decision-making pilot: what is published about it (counts,
/// nations), and what is not (`gap`), so that a missing list of authorities is a recorded
/// fact rather than a silent hole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PilotPhase {
    pub phase: u32,
    /// Sites that joined in this phase.
    pub new_sites: u32,
    /// Sites in the pilot once this phase had joined, when published.
    pub total_sites: Option<u32>,
    /// Local authorities those sites covered, when published.
    pub local_authorities: Option<u32>,
    /// The nations the pilot covered once this phase had joined, when published.
    pub nations: Option<Vec<UkNation>>,
    /// Whether every authority of this phase is in `child_decision_pilot_sites`.
    pub authorities_listed: bool,
    /// What is not known, and what follows from it.
    pub gap: String,
}

/// A name an authority had until a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormerName {
    pub name: String,
    /// The last day the name was used.
    pub until: NaiveDate,
    pub source: String,
}

impl PilotSite {
    /// The authority's name as it was on `on`.
    pub fn name_on(&self, on: NaiveDate) -> &str {
        self.former_names
            .iter()
            .find(|n| on <= n.until)
            .map_or(self.name.as_str(), |n| n.name.as_str())
    }
}

/// A designated First Responder Organisation (or class of them) and where it is designated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirstResponderOrganisation {
    pub code: String,
    pub name: String,
    pub nations: Vec<UkNation>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    #[serde(default = "verified")]
    pub certainty: Certainty,
}

fn verified() -> Certainty {
    Certainty::Verified
}

/// The whole rulebook as shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulebookData {
    pub version: String,
    pub published_on: NaiveDate,
    pub notes: String,
    pub reasonable_grounds_threshold: Vec<Dated<String>>,
    pub reasonable_grounds_target_working_days: Vec<Dated<u32>>,
    pub recovery_period_minimum_days: Vec<Dated<u32>>,
    pub negative_conclusive_grounds_review: Vec<Dated<ReviewKind>>,
    pub negative_reasonable_grounds_review: Vec<Dated<ReviewKind>>,
    pub disqualification_review: Vec<Dated<ReviewKind>>,
    /// The review of a devolved pilot panel's negative RG or CG (instead of the two above).
    pub pilot_negative_decision_review: Vec<Dated<ReviewKind>>,
    pub public_order_disqualification_available: Vec<Dated<bool>>,
    pub reconsideration: Vec<Dated<Reconsideration>>,
    pub move_on_support: Vec<Dated<MoveOnSupport>>,
    pub information_request_working_days: Vec<Dated<u32>>,
    pub due_soon_working_days: Vec<Dated<u32>>,
    pub competent_authorities: Vec<Dated<AuthoritiesInForce>>,
    pub child_pilot_minimum_days_before_eighteenth_birthday: Vec<Dated<u32>>,
    /// The pilot's phases (2021, 2023, 2025), with the published counts.
    pub child_decision_pilot_phases: Vec<Dated<PilotPhase>>,
    pub child_decision_pilot_sites: Vec<PilotSite>,
    pub first_responder_organisations: Vec<FirstResponderOrganisation>,
    /// The First Responder list codes the duty to notify falls on, per nation.
    pub duty_to_notify_reporters: Vec<Dated<super::ByNation<Vec<String>>>>,
    /// The agencies a devolved pilot panel must have among its members when it decides.
    pub pilot_panel_required_agencies: Vec<Dated<Vec<super::PanelAgency>>>,
}

/// The pilot's phases are numbered 1, 2, 3…; a phase's total is the last known total plus its
/// new sites; no phase lists more sites in force than were published for it; a site has no
/// start before the pilot's first phase; and a phase that says its authorities are listed has
/// at least its new sites starting within it.
fn check_pilot_phases(data: &RulebookData) -> Result<(), String> {
    let phases = &data.child_decision_pilot_phases;
    let mut last_total: Option<u32> = Some(0);
    for (i, entry) in phases.iter().enumerate() {
        let phase = &entry.value;
        if phase.phase as usize != i + 1 {
            return Err(format!("pilot phase {} is out of order", phase.phase));
        }
        if let (Some(before), Some(total)) = (last_total, phase.total_sites)
            && before + phase.new_sites != total
        {
            return Err(format!(
                "pilot phase {}: {before} sites before and {} new do not make {total}",
                phase.phase, phase.new_sites
            ));
        }
        last_total = phase.total_sites;
        let until = phases.get(i + 1).map(|next| next.from);
        let in_force = |s: &&PilotSite| {
            until.is_none_or(|u| s.from < u) && s.to.is_none_or(|to| entry.from <= to)
        };
        let key = |s: &PilotSite| s.site.clone().unwrap_or_else(|| s.code.clone());
        let sites: std::collections::BTreeSet<String> = data
            .child_decision_pilot_sites
            .iter()
            .filter(in_force)
            .map(key)
            .collect();
        if let Some(total) = phase.total_sites
            && sites.len() > total as usize
        {
            return Err(format!(
                "pilot phase {} lists {} sites, more than the {total} published",
                phase.phase,
                sites.len()
            ));
        }
        let joined: std::collections::BTreeSet<String> = data
            .child_decision_pilot_sites
            .iter()
            .filter(|s| s.from >= entry.from && until.is_none_or(|u| s.from < u))
            .map(key)
            .collect();
        if phase.authorities_listed && joined.len() < phase.new_sites as usize {
            return Err(format!(
                "pilot phase {} says its authorities are listed, but only {} of its {} sites are",
                phase.phase,
                joined.len(),
                phase.new_sites
            ));
        }
    }
    if let Some(first) = phases.first()
        && let Some(site) = data
            .child_decision_pilot_sites
            .iter()
            .find(|s| s.from < first.from)
    {
        return Err(format!(
            "pilot site {} starts before the pilot's first phase",
            site.code
        ));
    }
    Ok(())
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

impl RulebookData {
    /// Parses and checks the rulebook JSON.
    pub fn parse(json: &str) -> Result<Self, String> {
        let data: Self = serde_json::from_str(json).map_err(|e| e.to_string())?;
        ordered(
            "reasonable_grounds_threshold",
            &data.reasonable_grounds_threshold,
        )?;
        ordered(
            "reasonable_grounds_target_working_days",
            &data.reasonable_grounds_target_working_days,
        )?;
        ordered(
            "recovery_period_minimum_days",
            &data.recovery_period_minimum_days,
        )?;
        ordered(
            "negative_conclusive_grounds_review",
            &data.negative_conclusive_grounds_review,
        )?;
        ordered(
            "negative_reasonable_grounds_review",
            &data.negative_reasonable_grounds_review,
        )?;
        ordered("disqualification_review", &data.disqualification_review)?;
        ordered(
            "pilot_negative_decision_review",
            &data.pilot_negative_decision_review,
        )?;
        ordered(
            "public_order_disqualification_available",
            &data.public_order_disqualification_available,
        )?;
        ordered("reconsideration", &data.reconsideration)?;
        ordered("move_on_support", &data.move_on_support)?;
        ordered(
            "information_request_working_days",
            &data.information_request_working_days,
        )?;
        ordered("due_soon_working_days", &data.due_soon_working_days)?;
        ordered("competent_authorities", &data.competent_authorities)?;
        ordered(
            "child_pilot_minimum_days_before_eighteenth_birthday",
            &data.child_pilot_minimum_days_before_eighteenth_birthday,
        )?;
        ordered("duty_to_notify_reporters", &data.duty_to_notify_reporters)?;
        ordered(
            "child_decision_pilot_phases",
            &data.child_decision_pilot_phases,
        )?;
        check_pilot_phases(&data)?;
        ordered(
            "pilot_panel_required_agencies",
            &data.pilot_panel_required_agencies,
        )?;
        for entry in &data.duty_to_notify_reporters {
            let v = &entry.value;
            for code in v
                .england
                .iter()
                .chain(&v.wales)
                .chain(&v.scotland)
                .chain(&v.northern_ireland)
            {
                if !data
                    .first_responder_organisations
                    .iter()
                    .any(|o| &o.code == code)
                {
                    return Err(format!(
                        "duty_to_notify_reporters names {code}, which is not on the First Responder list"
                    ));
                }
            }
        }
        for site in &data.child_decision_pilot_sites {
            if site.to.is_some_and(|to| to < site.from) {
                return Err(format!("pilot site {} ends before it starts", site.code));
            }
            if site
                .former_names
                .windows(2)
                .any(|w| w[0].until >= w[1].until)
            {
                return Err(format!(
                    "pilot site {}'s former names must be in date order",
                    site.code
                ));
            }
        }
        for org in &data.first_responder_organisations {
            if org.to.is_some_and(|to| to < org.from) {
                return Err(format!(
                    "First Responder Organisation {} ends before it starts",
                    org.code
                ));
            }
        }
        Ok(data)
    }
}
