//! NRM facts as HTCDS 2.0 records, k-anonymous (issue #15, item 5).
//!
//! One record per case referred (or reported under the Duty to Notify) in the period, as a
//! flat CSV row whose columns are HTCDS field names including prefix (`prs_Gender`,
//! `vic_TypeOfExploitation`…) with the standard's value names, plus a few columns of this
//! service's own, prefixed `nrm_`, for what HTCDS has no field for (the keyed pseudonym, the
//! age group, the grounds decisions). No direct identifier is exported: HTCDS's name, birth
//! date, contact and address fields are never written.
//!
//! The quasi-identifiers are generalised with the same k-anonymity as the research extract
//! ([`crate::kanon`]), but on the values as HTCDS shows them: a generalised value is always a
//! valid HTCDS value (a reduced-precision ISO 8601 date, a country code, a value name) or
//! empty (withheld), never a value of the service's own.

use chrono::Datelike;
use nrm_domain::event::{CompetentAuthority, Outcome};
use nrm_domain::exploitation::ExploitationType;
use nrm_domain::submission::{AgeAtExploitation, FirstResponderType, Gender};

use crate::extract::{ExtractOptions, month, outcome, pseudonym};
use crate::facts::{Fact, Kind, Nationality, Stage};
use crate::period::Period;
use crate::tables::nation_label;

/// The exported columns, in order.
pub const COLUMNS: [&str; 17] = [
    "nrm_Pseudonym",
    "cas_IncomingReferralDate",
    "nrm_AgeGroupWhenExploited",
    "prs_Gender",
    "prs_Citizenship",
    "hte_Type",
    "hte_Country",
    "hte_State",
    "vic_TypeOfExploitation",
    "org_Type",
    "nrm_RecordKind",
    "vic_TraffickingStatus",
    "vic_TraffickingStatusDecisionMakingOrg",
    "nrm_ReasonableGrounds",
    "nrm_ReasonableGroundsMonth",
    "nrm_ConclusiveGrounds",
    "nrm_ConclusiveGroundsMonth",
];

/// A quasi-identifier of the export: the columns it fills and its generalisation levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quasi {
    /// `cas_IncomingReferralDate`: month (`2024-10`), year (`2024`), withheld.
    ReferralDate,
    /// `nrm_AgeGroupWhenExploited`: as recorded, withheld.
    AgeGroup,
    /// `prs_Gender`: as recorded, withheld.
    Gender,
    /// `prs_Citizenship`: the country code, `GB` or not given, withheld.
    Citizenship,
    /// `hte_Type`, `hte_Country`, `hte_State`: the UK nation of the exploitation, withheld.
    Place,
    /// `vic_TypeOfExploitation`: every type, withheld.
    ExploitationTypes,
    /// `org_Type` (of the referring organisation): as recorded, withheld.
    ReferrerType,
}

impl Quasi {
    pub const ALL: [Self; 7] = [
        Self::ReferralDate,
        Self::AgeGroup,
        Self::Gender,
        Self::Citizenship,
        Self::Place,
        Self::ExploitationTypes,
        Self::ReferrerType,
    ];

    /// The columns this quasi-identifier fills.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::ReferralDate => &["cas_IncomingReferralDate"],
            Self::AgeGroup => &["nrm_AgeGroupWhenExploited"],
            Self::Gender => &["prs_Gender"],
            Self::Citizenship => &["prs_Citizenship"],
            Self::Place => &["hte_Type", "hte_Country", "hte_State"],
            Self::ExploitationTypes => &["vic_TypeOfExploitation"],
            Self::ReferrerType => &["org_Type"],
        }
    }

    fn depth(self) -> usize {
        match self {
            Self::ReferralDate | Self::Citizenship => 3,
            _ => 2,
        }
    }

    /// The words each level means, for the report.
    pub fn level_name(self, level: usize) -> &'static str {
        match (self, level) {
            (_, l) if l + 1 >= self.depth() => "withheld",
            (Self::ReferralDate, 0) => "month",
            (Self::ReferralDate, _) => "year",
            (Self::Citizenship, 1) => "GB or not given",
            _ => "as recorded",
        }
    }

    /// The values of this quasi-identifier's columns for `f` at `level`.
    fn values(self, level: usize, f: &Fact) -> Vec<String> {
        let withheld = level + 1 >= self.depth();
        if withheld {
            return vec![String::new(); self.columns().len()];
        }
        match self {
            Self::ReferralDate => vec![match level {
                0 => month(f.referred_on),
                _ => f.referred_on.year().to_string(),
            }],
            Self::AgeGroup => vec![age_group(f.age).to_owned()],
            Self::Gender => vec![gender(f.gender).to_owned()],
            Self::Citizenship => vec![match (level, f.nationality) {
                (0, Nationality::Single(c)) => c.code(),
                (_, Nationality::Single(c)) if c.code() == "GB" => "GB".to_owned(),
                _ => String::new(),
            }],
            Self::Place => match f.police_force_area.map(|a| a.nation()).or(f.nation) {
                Some(n) => vec![
                    "Exploitation".to_owned(),
                    "GB".to_owned(),
                    nation_label(n).to_owned(),
                ],
                None => vec![String::new(); 3],
            },
            Self::ExploitationTypes => vec![exploitation_types(f)],
            Self::ReferrerType => vec![organisation_type(f.first_responder).to_owned()],
        }
    }
}

/// The HTCDS value name of a gender (`prs_Gender`).
pub fn gender(g: Gender) -> &'static str {
    match g {
        Gender::Female => "Feminine",
        Gender::Male => "Masculine",
        Gender::Other => "NonConforming",
        Gender::NotKnown => "NonSpecifiedUnknown",
    }
}

/// The age group at exploitation (`nrm_AgeGroupWhenExploited`, the service's own column).
pub fn age_group(a: AgeAtExploitation) -> &'static str {
    match a {
        AgeAtExploitation::Adult => "Adult",
        AgeAtExploitation::Child => "Child",
        AgeAtExploitation::NotKnown => "NotKnown",
    }
}

/// The HTCDS value name of an exploitation type (`vic_TypeOfExploitation`); HTCDS has no
/// criminal exploitation, so it is `Other`, and "not known" is no value.
pub fn exploitation_type(t: ExploitationType) -> Option<&'static str> {
    match t {
        ExploitationType::Labour => Some("ForcedLabour"),
        ExploitationType::Sexual => Some("SexualExploitation"),
        ExploitationType::DomesticServitude => Some("Servitude"),
        ExploitationType::OrganHarvesting => Some("OrganRemoval"),
        ExploitationType::Criminal | ExploitationType::Other => Some("Other"),
        ExploitationType::NotKnown => None,
    }
}

fn exploitation_types(f: &Fact) -> String {
    let mut names: Vec<&str> = Vec::new();
    for t in ExploitationType::ALL {
        if f.exploitation.contains(t)
            && let Some(name) = exploitation_type(t)
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names.join(";")
}

/// The HTCDS organisation type (`org_Type`) of a First Responder Organisation type.
pub fn organisation_type(t: FirstResponderType) -> &'static str {
    match t {
        FirstResponderType::Police => "LawEnforcement",
        FirstResponderType::LocalAuthority => "LocalGovernmentOrganisation",
        FirstResponderType::GovernmentAgency => "CentralGovernmentOrganisation",
        FirstResponderType::NonGovernmentalOrganisation => "NGO",
    }
}

/// `vic_TraffickingStatus` from the decisions that stand: a positive conclusive grounds
/// decision is an actual victim; a negative conclusive grounds decision, or a negative
/// reasonable grounds one with no conclusive grounds decision, is not a victim; anything else
/// (no decision yet, a positive reasonable grounds decision) is a possible victim.
fn trafficking_status(f: &Fact) -> &'static str {
    let latest = |stage| f.decisions.iter().rev().find(|d| d.stage == stage);
    match (
        latest(Stage::ConclusiveGrounds),
        latest(Stage::ReasonableGrounds),
    ) {
        (Some(cg), _) if cg.outcome == Outcome::Positive => "ActualVictimOfTrafficking",
        (Some(_), _) => "NotAVictimOfTrafficking",
        (None, Some(rg)) if rg.outcome == Outcome::Negative => "NotAVictimOfTrafficking",
        _ => "PossibleVictimOfTrafficking",
    }
}

/// `vic_TraffickingStatusDecisionMakingOrg`: the competent authorities (the Home Office's
/// SCA and IECA, a local authority pilot panel) are non-police governmental organisations;
/// empty while no decision has been made.
fn decision_making_org(f: &Fact) -> &'static str {
    match f.decisions.last().map(|d| d.authority) {
        Some(
            CompetentAuthority::Sca
            | CompetentAuthority::Ieca
            | CompetentAuthority::LocalAuthorityPanel,
        ) => "NonPoliceGovernmentalOrganization",
        None => "",
    }
}

/// One exported record: a value for each of [`COLUMNS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtcdsRecord {
    pub values: Vec<String>,
}

impl HtcdsRecord {
    /// The value of column `name` (empty if there is no such column).
    pub fn get(&self, name: &str) -> &str {
        COLUMNS
            .iter()
            .position(|c| *c == name)
            .and_then(|i| self.values.get(i))
            .map_or("", String::as_str)
    }
}

/// What an export did to reach k.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtcdsReport {
    pub k: usize,
    /// Cases referred in the period.
    pub cases: usize,
    /// Records written.
    pub records: usize,
    /// Cases left out because they stayed rarer than k.
    pub suppressed: usize,
    /// The level each quasi-identifier reached (0: as recorded).
    pub levels: Vec<(Quasi, usize)>,
    /// The smallest group of records sharing their quasi-identifiers.
    pub smallest_group: usize,
}

/// The HTCDS export of the cases referred in `period`: keyed pseudonyms (see
/// [`crate::extract::pseudonym`]), k-anonymous on [`Quasi::ALL`], records in pseudonym order.
pub fn export(
    facts: &[([u8; 16], Fact)],
    period: Period,
    key: &[u8; 32],
    options: ExtractOptions,
) -> (Vec<HtcdsRecord>, HtcdsReport) {
    let chosen: Vec<&([u8; 16], Fact)> = facts
        .iter()
        .filter(|(_, f)| period.contains(f.referred_on))
        .collect();
    let k = options.k.max(1);
    let depths: Vec<usize> = Quasi::ALL.iter().map(|q| q.depth()).collect();
    let generalised = crate::kanon::generalise(
        &chosen,
        &depths,
        k,
        options.max_suppressed,
        |(_, f), c, l| Quasi::ALL[c].values(l, f).join("|"),
    );
    let mut records = Vec::new();
    for ((id, f), size) in chosen.iter().zip(&generalised.sizes) {
        if *size < k {
            continue;
        }
        let mut values = vec![pseudonym(key, id)];
        for (q, level) in Quasi::ALL.iter().zip(&generalised.levels) {
            values.extend(q.values(*level, f));
        }
        let (rg, rg_month) = outcome(f, Stage::ReasonableGrounds);
        let (cg, cg_month) = outcome(f, Stage::ConclusiveGrounds);
        values.extend([
            match f.kind {
                Kind::Referral => "Referral",
                Kind::DutyToNotify => "DutyToNotify",
            }
            .to_owned(),
            trafficking_status(f).to_owned(),
            decision_making_org(f).to_owned(),
            rg,
            rg_month,
            cg,
            cg_month,
        ]);
        records.push(HtcdsRecord { values });
    }
    records.sort_by(|a, b| a.values[0].cmp(&b.values[0]));
    let report = HtcdsReport {
        k,
        cases: chosen.len(),
        records: records.len(),
        suppressed: chosen.len() - records.len(),
        levels: Quasi::ALL
            .iter()
            .copied()
            .zip(generalised.levels.iter().copied())
            .collect(),
        smallest_group: generalised.smallest_group(k),
    };
    (records, report)
}

/// The records as CSV (RFC 4180, a header row of [`COLUMNS`], CRLF line ends).
pub fn to_csv(records: &[HtcdsRecord]) -> String {
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for r in records {
        let line: Vec<String> = r.values.iter().map(|v| crate::csv::field(v)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The report in words (no case in it).
pub fn report_text(report: &HtcdsReport) -> String {
    let mut out = format!(
        "{} cases referred in the period; {} HTCDS records written, {} left out (rarer than k = {}); \
         the smallest group shares its quasi-identifiers with {} records.\n",
        report.cases, report.records, report.suppressed, report.k, report.smallest_group
    );
    for (q, level) in &report.levels {
        out.push_str(&format!(
            "  {}: {}\n",
            q.columns().join(", "),
            q.level_name(*level)
        ));
    }
    out
}
