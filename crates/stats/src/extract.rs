//! Pseudonymised case-level extracts for research, with k-anonymity (issue #15, item 4).
//!
//! One row per case referred in the period, with no direct identifier: the case is a keyed
//! pseudonym (HMAC-SHA-256 of the case id under a key made for this extract, so two extracts
//! cannot be joined without their keys), every date is coarsened to its month, age is the age
//! band the statistics use. The quasi-identifiers (the columns someone could match against
//! what they know of a person: referral month, age band, gender, nationality, place,
//! exploitation types, referring organisation type) are then generalised, one column at a
//! time and the same for every row (full-domain generalisation, Datafly's greedy order: the
//! column with the most distinct values first), until every row shares its quasi-identifiers
//! with at least k-1 others, except at most `max_suppressed` rows, which are left out. The
//! report says which level each column reached and how many rows were left out.

use chrono::{Datelike, NaiveDate};
use hmac::{Hmac, Mac};
use nrm_domain::exploitation::ExploitationType;
use sha2::Sha256;

use nrm_domain::event::Outcome;

use crate::facts::{Fact, Kind, Nationality, Stage};
use crate::period::Period;
use crate::tables::{age_label, authority_label, gender_label, nation_label, responder_label};

/// What an extract is made with.
#[derive(Debug, Clone, Copy)]
pub struct ExtractOptions {
    /// Every row shares its quasi-identifiers with at least `k - 1` others.
    pub k: usize,
    /// The most rows that may be left out instead of generalising further.
    pub max_suppressed: usize,
}

impl ExtractOptions {
    /// k as given, and at most 1% of the rows (and never fewer than k) left out.
    pub fn with_k(k: usize, rows: usize) -> Self {
        Self {
            k: k.max(1),
            max_suppressed: (rows / 100).max(k),
        }
    }
}

/// The quasi-identifiers, in the order of the extract's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuasiIdentifier {
    ReferralMonth,
    AgeBand,
    Gender,
    Nationality,
    Place,
    ExploitationTypes,
    FirstResponderType,
}

impl QuasiIdentifier {
    pub const ALL: [Self; 7] = [
        Self::ReferralMonth,
        Self::AgeBand,
        Self::Gender,
        Self::Nationality,
        Self::Place,
        Self::ExploitationTypes,
        Self::FirstResponderType,
    ];

    pub fn column(self) -> &'static str {
        match self {
            Self::ReferralMonth => "referral_month",
            Self::AgeBand => "age_band",
            Self::Gender => "gender",
            Self::Nationality => "nationality",
            Self::Place => "place",
            Self::ExploitationTypes => "exploitation_types",
            Self::FirstResponderType => "first_responder_type",
        }
    }

    /// How many levels the column has; the last is fully withheld (`*`).
    fn levels(self) -> usize {
        match self {
            // month, quarter, year, *
            Self::ReferralMonth => 4,
            // country, UK / non-UK / several / not known, *
            Self::Nationality => 3,
            // police force area, nation, *
            Self::Place => 3,
            // the set, one type or "combined", *
            Self::ExploitationTypes => 3,
            Self::AgeBand | Self::Gender | Self::FirstResponderType => 2,
        }
    }

    /// The words each level means, for the report.
    pub fn level_name(self, level: usize) -> &'static str {
        match (self, level) {
            (_, l) if l + 1 >= self.levels() => "withheld",
            (Self::ReferralMonth, 0) => "month",
            (Self::ReferralMonth, 1) => "quarter",
            (Self::ReferralMonth, _) => "year",
            (Self::Nationality, 0) => "country",
            (Self::Nationality, _) => "UK or not",
            (Self::Place, 0) => "police force area",
            (Self::Place, _) => "nation",
            (Self::ExploitationTypes, 0) => "every type",
            (Self::ExploitationTypes, _) => "one type or combined",
            _ => "as recorded",
        }
    }
}

/// One row of an extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractRow {
    pub pseudonym: String,
    /// The quasi-identifiers, generalised, in [`QuasiIdentifier::ALL`] order.
    pub quasi: Vec<String>,
    pub kind: &'static str,
    pub competent_authority: String,
    pub reasonable_grounds: String,
    pub reasonable_grounds_month: String,
    pub conclusive_grounds: String,
    pub conclusive_grounds_month: String,
}

/// What an extract did to reach k.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractReport {
    pub k: usize,
    /// Cases referred in the period.
    pub cases: usize,
    /// Rows written.
    pub rows: usize,
    /// Rows left out because they stayed rarer than k.
    pub suppressed: usize,
    /// The level each quasi-identifier reached (0: as recorded).
    pub levels: Vec<(QuasiIdentifier, usize)>,
    /// The smallest group of rows sharing their quasi-identifiers.
    pub smallest_group: usize,
}

/// A case's pseudonym in one extract: HMAC-SHA-256 of its id under the extract's key, the
/// first 16 hex characters.
pub fn pseudonym(key: &[u8; 32], case_id: &[u8; 16]) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(case_id);
    let bytes = mac.finalize().into_bytes();
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn month(d: NaiveDate) -> String {
    format!("{}-{:02}", d.year(), d.month())
}

fn generalise(q: QuasiIdentifier, level: usize, f: &Fact) -> String {
    if level + 1 >= q.levels() {
        return "*".to_owned();
    }
    match q {
        QuasiIdentifier::ReferralMonth => match level {
            0 => month(f.referred_on),
            1 => format!(
                "{}Q{}",
                f.referred_on.year(),
                f.referred_on.month0() / 3 + 1
            ),
            _ => f.referred_on.year().to_string(),
        },
        QuasiIdentifier::AgeBand => age_label(f.age).to_owned(),
        QuasiIdentifier::Gender => gender_label(f.gender).to_owned(),
        QuasiIdentifier::Nationality => match (level, f.nationality) {
            (0, Nationality::Single(c)) => c.code(),
            (_, Nationality::Single(c)) if c.code() == "GB" => "UK".to_owned(),
            (_, Nationality::Single(_)) => "Non-UK".to_owned(),
            (_, Nationality::Multiple) => "Several".to_owned(),
            (_, Nationality::NotKnown) => "Not known".to_owned(),
        },
        QuasiIdentifier::Place => match (level, f.police_force_area, f.nation) {
            (0, Some(area), _) => area.name().to_owned(),
            (_, Some(area), _) => nation_label(area.nation()).to_owned(),
            (_, None, Some(n)) => nation_label(n).to_owned(),
            (_, None, None) => "Not known".to_owned(),
        },
        QuasiIdentifier::ExploitationTypes => {
            let types: Vec<ExploitationType> = ExploitationType::ALL
                .into_iter()
                .filter(|t| f.exploitation.contains(*t))
                .collect();
            match (level, types.as_slice()) {
                (_, []) => "Not known".to_owned(),
                (_, [one]) => crate::tables::type_label(*one).to_owned(),
                (0, many) => many
                    .iter()
                    .map(|t| crate::tables::type_label(*t))
                    .collect::<Vec<_>>()
                    .join("+"),
                (_, _) => "Combined".to_owned(),
            }
        }
        QuasiIdentifier::FirstResponderType => responder_label(f.first_responder).to_owned(),
    }
}

pub(crate) fn outcome(f: &Fact, stage: Stage) -> (String, String) {
    // The latest decision at the stage (a reconsideration or review may have replaced the first).
    match f.decisions.iter().rev().find(|d| d.stage == stage) {
        Some(d) => (
            match d.outcome {
                Outcome::Positive => "positive",
                Outcome::Negative => "negative",
            }
            .to_owned(),
            month(d.decided_on),
        ),
        None => ("none".to_owned(), String::new()),
    }
}

/// The extract of the cases referred in `period` (Duty to Notify reports included: they
/// identify nobody, but their categories are still quasi-identifiers). `facts` pairs each
/// fact with its case id's 16 bytes.
pub fn extract(
    facts: &[([u8; 16], Fact)],
    period: Period,
    key: &[u8; 32],
    options: ExtractOptions,
) -> (Vec<ExtractRow>, ExtractReport) {
    let chosen: Vec<&([u8; 16], Fact)> = facts
        .iter()
        .filter(|(_, f)| period.contains(f.referred_on))
        .collect();
    let only_facts: Vec<&Fact> = chosen.iter().map(|(_, f)| f).collect();
    let k = options.k.max(1);
    let depths: Vec<usize> = QuasiIdentifier::ALL.iter().map(|q| q.levels()).collect();
    let crate::kanon::Generalised { levels, sizes } = crate::kanon::generalise(
        &only_facts,
        &depths,
        k,
        options.max_suppressed,
        |f, c, level| generalise(QuasiIdentifier::ALL[c], level, f),
    );
    let mut rows = Vec::new();
    let mut suppressed = 0;
    for ((id, f), size) in chosen.iter().zip(&sizes) {
        if *size < k {
            suppressed += 1;
            continue;
        }
        let (rg, rg_month) = outcome(f, Stage::ReasonableGrounds);
        let (cg, cg_month) = outcome(f, Stage::ConclusiveGrounds);
        rows.push(ExtractRow {
            pseudonym: pseudonym(key, id),
            quasi: QuasiIdentifier::ALL
                .iter()
                .zip(&levels)
                .map(|(q, l)| generalise(*q, *l, f))
                .collect(),
            kind: match f.kind {
                Kind::DutyToNotify => "duty_to_notify",
                Kind::Referral => "referral",
            },
            competent_authority: f
                .authority
                .map_or_else(String::new, |a| authority_label(a).to_owned()),
            reasonable_grounds: rg,
            reasonable_grounds_month: rg_month,
            conclusive_grounds: cg,
            conclusive_grounds_month: cg_month,
        });
    }
    // Rows in pseudonym order, so the order says nothing about when a case was made.
    rows.sort_by(|a, b| a.pseudonym.cmp(&b.pseudonym));
    let smallest_group = sizes.iter().copied().filter(|s| *s >= k).min().unwrap_or(0);
    let report = ExtractReport {
        k,
        cases: chosen.len(),
        rows: rows.len(),
        suppressed,
        levels: QuasiIdentifier::ALL.iter().copied().zip(levels).collect(),
        smallest_group,
    };
    (rows, report)
}

/// The extract as CSV (RFC 4180, a header row).
pub fn to_csv(rows: &[ExtractRow]) -> String {
    let mut out = String::from("pseudonym,");
    for q in QuasiIdentifier::ALL {
        out.push_str(q.column());
        out.push(',');
    }
    out.push_str("kind,competent_authority,reasonable_grounds,reasonable_grounds_month,conclusive_grounds,conclusive_grounds_month\n");
    for r in rows {
        let mut fields: Vec<&str> = vec![&r.pseudonym];
        fields.extend(r.quasi.iter().map(String::as_str));
        fields.extend([
            r.kind,
            &r.competent_authority,
            &r.reasonable_grounds,
            &r.reasonable_grounds_month,
            &r.conclusive_grounds,
            &r.conclusive_grounds_month,
        ]);
        let line: Vec<String> = fields.iter().map(|f| crate::csv::field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// The report in words, for the person who made the extract (no case in it).
pub fn report_text(report: &ExtractReport) -> String {
    let mut out = format!(
        "{} cases referred in the period; {} rows written, {} left out (rarer than k = {}); \
         the smallest group shares its quasi-identifiers with {} rows.\n",
        report.cases, report.rows, report.suppressed, report.k, report.smallest_group
    );
    for (q, level) in &report.levels {
        out.push_str(&format!("  {}: {}\n", q.column(), q.level_name(*level)));
    }
    out
}

/// Why an extract is made: the reference of the data sharing agreement or research approval
/// it is made under (recorded in the audit log, so only letters, digits, spaces and `._/:-`,
/// 3 to 80 of them: a reference, never a person's details).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose(String);

/// The purpose given is not a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the purpose must be the reference of the data sharing agreement or research approval: 3 to 80 letters, digits, spaces or . _ / : -"
)]
pub struct BadPurpose;

impl Purpose {
    pub fn parse(text: &str) -> Result<Self, BadPurpose> {
        let text = text.trim();
        let allowed = |c: char| c.is_ascii_alphanumeric() || " ._/:-".contains(c);
        if (3..=80).contains(&text.len()) && text.chars().all(allowed) {
            Ok(Self(text.to_owned()))
        } else {
            Err(BadPurpose)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
