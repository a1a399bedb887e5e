//! The HTCDS 2.0 exchange (issue #15, item 5; `docs/htcds.md`).
//!
//! - **Export**: the cases referred in a period as HTCDS records, k-anonymous and with keyed
//!   pseudonyms, for an analyst and a stated purpose (`nrm_stats::htcds::export`), audited as
//!   `statistics.htcds_export` with the period, as-at day, k and purpose.
//! - **Import**: an HTCDS CSV file's records become legacy cases and go through the legacy
//!   import ([`Cases::import_legacy`]): the same checks, each judged by the rules of its
//!   date, the same idempotence (a record's legacy id is `htcds:` and its `Id`, or else a hash
//!   of the record, so the same file twice makes each case once), the same audit. Records
//!   that cannot be mapped are refused here, naming the field and never its value; fields
//!   that are not imported are counted by name.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use nrm_access::Capability;
use nrm_domain::clock::uk_date;
use nrm_domain::exploitation::{
    Exploitation, ExploitationLocation, ExploitationPeriod, ExploitationType,
};
use nrm_domain::geography::Country;
use nrm_domain::personal::PersonalDetails;
use nrm_domain::submission::{
    AdultConsent, AdultReferral, AgeAtExploitation, ChildReferral, DutyToNotify,
    FirstResponderDetails, Gender, Profile,
};
use nrm_stats::extract::Purpose;
use nrm_stats::htcds::{HtcdsRecord, HtcdsReport, import as codes};
use nrm_stats::{ExtractOptions, Period};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{Cases, ServiceError};

/// What an analyst asks for in an HTCDS export.
#[derive(Debug, Clone)]
pub struct HtcdsExportRequest {
    pub period: Period,
    pub as_at: Option<NaiveDate>,
    /// Every record shares its quasi-identifiers with at least k-1 others (default 10).
    pub k: usize,
    pub purpose: Purpose,
}

/// A record of an HTCDS file that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtcdsRefusal {
    /// The 1-based line of the file the record starts on.
    pub line: usize,
    /// The rule's code (`htcds-…` for a record that could not be mapped, else the legacy
    /// import's rule).
    pub rule: String,
    /// What was wrong, naming fields but never the values given.
    pub message: String,
}

/// How an HTCDS import went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HtcdsImportReport {
    /// The legacy import run (the audit log's `import:<run>`), if any record reached it.
    pub run: Option<uuid::Uuid>,
    /// Records in the file (the header not counted).
    pub records: usize,
    /// Cases written.
    pub imported: u64,
    /// Records whose case had been imported before.
    pub already_present: u64,
    /// Records refused, by line.
    pub refused: Vec<HtcdsRefusal>,
    /// Columns not imported (unknown to this mapping, or HTCDS fields the NRM has no place
    /// for), with how many records gave them a value.
    pub unmapped: BTreeMap<String, usize>,
}

/// The columns the import reads; every other column with a value is reported as unmapped.
pub const MAPPED: [&str; 20] = [
    "Id",
    "nrm_Pseudonym",
    "cas_IncomingReferralDate",
    "prs_FirstName",
    "prs_MiddleName",
    "prs_SecondName",
    "prs_Birthdate",
    "prs_Gender",
    "prs_Citizenship",
    "prs_PrimaryLanguage",
    "prs_SecondaryLanguage",
    "vic_AgeWhenTrafficked",
    "nrm_AgeGroupWhenExploited",
    "vic_TypeOfExploitation",
    "org_Name",
    "org_Type",
    "hte_Country",
    "hte_State",
    "hte_Description",
    "con_Consent",
];

impl Cases {
    /// The HTCDS export of the cases referred in `request.period`, as the case file stood at
    /// the end of `as_at`, k-anonymous, under a key made for this export and never kept.
    /// Analysts only; audited before the records are returned.
    pub async fn htcds_export(
        &self,
        capability: &Capability,
        request: HtcdsExportRequest,
        now: DateTime<Utc>,
        progress: impl FnMut(u64),
    ) -> Result<(Vec<HtcdsRecord>, HtcdsReport), ServiceError> {
        crate::admin::holder(capability, nrm_access::Operation::ReadStatistics)?;
        let as_at = request.as_at.unwrap_or_else(|| uk_date(now));
        let result = self
            .statistics_facts_of_cases(
                as_at,
                (request.period.start(), request.period.end()),
                |f| request.period.contains(f.referred_on),
                progress,
            )
            .await
            .map(|(facts, _)| {
                let mut key = [0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
                let in_period = facts
                    .iter()
                    .filter(|(_, f)| request.period.contains(f.referred_on))
                    .count();
                let options = ExtractOptions::with_k(request.k, in_period);
                nrm_stats::htcds::export(&facts, request.period, &key, options)
            });
        let record = nrm_store::audit::AuditRecord {
            actor: capability.actor(),
            action: "statistics.htcds_export".to_owned(),
            case_id: None,
            outcome: crate::outcome_code(&result),
            subject: Some(format!(
                "statistics:htcds:{}:as_at:{as_at}:k:{}:purpose:{}",
                request.period,
                request.k,
                request.purpose.as_str()
            )),
        };
        self.store().audit(&record, now).await?;
        result
    }

    /// Imports an HTCDS CSV file (`docs/htcds.md`) through the legacy import: `capability`
    /// is the legacy import's. `now` is the import's time.
    pub async fn import_htcds(
        &self,
        capability: &Capability,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<HtcdsImportReport, ServiceError> {
        if capability.operation() != nrm_access::Operation::ImportLegacyCases {
            return Err(ServiceError::NotFound);
        }
        let mut report = HtcdsImportReport::default();
        let result = self
            .import_htcds_records(capability, text, now, &mut report)
            .await;
        // The legacy import audits what reached it; the records refused by the mapping, and
        // the file as a whole, are audited here (lines, rules and field names only).
        let actor = capability.actor();
        for r in report
            .refused
            .iter()
            .filter(|r| r.rule.starts_with("htcds-"))
        {
            let record = nrm_store::audit::AuditRecord {
                actor,
                action: "case.import".to_owned(),
                case_id: None,
                outcome: format!("refused:{}", r.rule),
                subject: Some(format!("htcds:line:{}", r.line)),
            };
            self.store().audit(&record, now).await?;
        }
        let record = nrm_store::audit::AuditRecord {
            actor,
            action: "case.import.htcds".to_owned(),
            case_id: None,
            outcome: crate::outcome_code(&result),
            subject: Some(format!(
                "htcds:records:{}:imported:{}:present:{}:refused:{}:run:{}",
                report.records,
                report.imported,
                report.already_present,
                report.refused.len(),
                report.run.map_or_else(|| "-".to_owned(), |r| r.to_string())
            )),
        };
        self.store().audit(&record, now).await?;
        result.map(|()| report)
    }

    async fn import_htcds_records(
        &self,
        capability: &Capability,
        text: &str,
        now: DateTime<Utc>,
        report: &mut HtcdsImportReport,
    ) -> Result<(), ServiceError> {
        let records = match nrm_stats::htcds::read_csv(text) {
            Ok(r) => r,
            Err(e) => {
                report.refused.push(HtcdsRefusal {
                    line: e.line,
                    rule: "htcds-not-csv".to_owned(),
                    message: e.problem.to_owned(),
                });
                return Ok(());
            }
        };
        let Some((header, rows)) = records.split_first() else {
            return Ok(());
        };
        let header = &header.fields;
        report.records = rows.len();
        let mut lines = Vec::new();
        let mut line_of = Vec::new();
        for row in rows {
            let record = Row {
                header,
                fields: &row.fields,
            };
            for (i, h) in header.iter().enumerate() {
                let h = h.trim();
                if !MAPPED.contains(&h) && row.fields.get(i).is_some_and(|v| !v.trim().is_empty()) {
                    *report.unmapped.entry(h.to_owned()).or_default() += 1;
                }
            }
            if row.fields.len() != header.len() {
                report.refused.push(HtcdsRefusal {
                    line: row.line,
                    rule: "htcds-field-count".to_owned(),
                    message: format!(
                        "The record has {} fields and the header {}",
                        row.fields.len(),
                        header.len()
                    ),
                });
                continue;
            }
            match legacy_case(&record) {
                Ok(value) => {
                    lines.push(value.to_string());
                    line_of.push(row.line);
                }
                Err((rule, message)) => report.refused.push(HtcdsRefusal {
                    line: row.line,
                    rule: rule.to_owned(),
                    message,
                }),
            }
        }
        if !lines.is_empty() {
            let mut input = lines.join("\n");
            input.push('\n');
            let mut refused = Vec::new();
            let legacy = self
                .import_legacy(
                    capability,
                    std::io::Cursor::new(input.into_bytes()),
                    now,
                    |_| {},
                    |r| refused.push(r.clone()),
                )
                .await?;
            report.run = Some(legacy.run);
            report.imported = legacy.imported;
            report.already_present = legacy.already_present;
            for r in refused {
                let line = usize::try_from(r.line)
                    .ok()
                    .and_then(|l| line_of.get(l.wrapping_sub(1)))
                    .copied()
                    .unwrap_or(0);
                report.refused.push(HtcdsRefusal {
                    line,
                    rule: r.rule,
                    message: r.message,
                });
            }
        }
        report.refused.sort_by_key(|r| r.line);
        Ok(())
    }
}

type Refused = (&'static str, String);

/// One record, its fields found by the header's names.
struct Row<'a> {
    header: &'a [String],
    fields: &'a [String],
}

impl<'a> Row<'a> {
    /// The value of column `name`, trimmed; empty when there is no such column.
    fn get(&self, name: &str) -> &'a str {
        self.header
            .iter()
            .position(|h| h.trim() == name)
            .and_then(|i| self.fields.get(i))
            .map_or("", |v| v.trim())
    }
}

fn bad(field: &str, what: &str) -> Refused {
    ("htcds-bad-value", format!("{field}: {what}"))
}

fn date(field: &str, value: &str) -> Result<Option<NaiveDate>, Refused> {
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| bad(field, "not a date (YYYY-MM-DD)"))
}

fn checkbox(field: &str, value: &str) -> Result<bool, Refused> {
    match value.to_ascii_lowercase().as_str() {
        "" | "false" | "0" | "no" => Ok(false),
        "true" | "1" | "yes" => Ok(true),
        _ => Err(bad(field, "not a checkbox value (true or false)")),
    }
}

/// The legacy id: `htcds:` and the record's `Id` (or `nrm_Pseudonym`), or else the first 32
/// hex digits of the SHA-256 of its fields, so the same record names the same case.
fn legacy_id(row: &Row<'_>) -> Result<String, Refused> {
    let given = [row.get("Id"), row.get("nrm_Pseudonym")]
        .into_iter()
        .find(|v| !v.is_empty());
    match given {
        Some(id)
            if id.len() <= 50
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c)) =>
        {
            Ok(format!("htcds:{id}"))
        }
        Some(_) => Err(bad("Id", "at most 50 letters, digits or - _ . / :")),
        None => {
            let mut hash = Sha256::new();
            for f in row.fields {
                hash.update(f.trim().as_bytes());
                hash.update([0x1f]);
            }
            let digest = hash.finalize();
            let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
            Ok(format!("htcds:{hex}"))
        }
    }
}

/// One HTCDS record as a legacy import line (`docs/legacy-import.md`).
fn legacy_case(row: &Row<'_>) -> Result<serde_json::Value, Refused> {
    let get = |name: &str| row.get(name);
    let id = legacy_id(row)?;
    let referred_on =
        date("cas_IncomingReferralDate", get("cas_IncomingReferralDate"))?.ok_or((
            "htcds-missing",
            "cas_IncomingReferralDate: required".to_owned(),
        ))?;
    let born = date("prs_Birthdate", get("prs_Birthdate"))?;
    let gender = match get("prs_Gender") {
        "" => Gender::NotKnown,
        v => codes::gender(v).ok_or_else(|| bad("prs_Gender", "not a value of its list"))?,
    };
    let mut nationalities = Vec::new();
    for code in get("prs_Citizenship")
        .split(';')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        if !nrm_stats::htcds::codes::is_country_code(code) {
            return Err(bad("prs_Citizenship", "not an ISO 3166 alpha-2 code"));
        }
        nationalities.extend(Country::parse(code).ok());
    }
    let mut types: Vec<ExploitationType> = Vec::new();
    for v in get("vic_TypeOfExploitation")
        .split(';')
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        let t = codes::exploitation_type(v)
            .ok_or_else(|| bad("vic_TypeOfExploitation", "not a value of its list"))?;
        if !types.contains(&t) {
            types.push(t);
        }
    }
    if types.is_empty() {
        types.push(ExploitationType::NotKnown);
    }
    let organisation_type = match get("org_Type") {
        "" => {
            return Err((
                "htcds-missing",
                "org_Type: required (the referring organisation's type)".to_owned(),
            ));
        }
        v => codes::first_responder(v).ok_or((
            "htcds-not-a-first-responder",
            "org_Type: not a kind of organisation that can be a First Responder".to_owned(),
        ))?,
    };
    let mut location = ExploitationLocation {
        uk_nations: Vec::new(),
        police_force_areas: Vec::new(),
        overseas_countries: Vec::new(),
    };
    match (get("hte_Country"), get("hte_State")) {
        ("", "") => {}
        ("GB", "") => {}
        ("GB", state) => location
            .uk_nations
            .push(codes::nation(state).ok_or_else(|| bad("hte_State", "not a UK nation"))?),
        (country, _) => {
            let c = Country::parse(country)
                .ok()
                .filter(|_| nrm_stats::htcds::codes::is_country_code(country))
                .ok_or_else(|| bad("hte_Country", "not an ISO 3166 alpha-2 code"))?;
            location.overseas_countries.push(c);
        }
    }
    let age_when_trafficked = match get("vic_AgeWhenTrafficked") {
        "" => None,
        v => Some(
            v.parse::<u32>()
                .ok()
                .filter(|a| *a < 130)
                .ok_or_else(|| bad("vic_AgeWhenTrafficked", "not a whole number of years"))?,
        ),
    };
    // The age group at exploitation: the age when trafficked, else the service's own column,
    // else the age at referral from the birth date.
    let age_at_referral = born.map(|b| {
        let years = referred_on.year() - b.year();
        if (referred_on.month(), referred_on.day()) < (b.month(), b.day()) {
            years - 1
        } else {
            years
        }
    });
    let age = match (
        age_when_trafficked,
        get("nrm_AgeGroupWhenExploited"),
        age_at_referral,
    ) {
        (Some(a), _, _) if a < 18 => AgeAtExploitation::Child,
        (Some(_), _, _) => AgeAtExploitation::Adult,
        (None, "Child", _) => AgeAtExploitation::Child,
        (None, "Adult", _) => AgeAtExploitation::Adult,
        (None, "" | "NotKnown", Some(a)) if a < 18 => AgeAtExploitation::Child,
        (None, "" | "NotKnown", Some(_)) => AgeAtExploitation::Adult,
        (None, "" | "NotKnown", None) => AgeAtExploitation::NotKnown,
        (None, _, _) => {
            return Err(bad(
                "nrm_AgeGroupWhenExploited",
                "not Adult, Child or NotKnown",
            ));
        }
    };
    let child_now = age_at_referral.is_some_and(|a| a < 18);
    let consent = checkbox("con_Consent", get("con_Consent"))?;
    let exploitation = Exploitation {
        county_lines: false,
        types,
        location,
        period: ExploitationPeriod {
            started_on: None,
            ended_on: None,
            ongoing: false,
        },
    };
    let profile = Profile {
        gender,
        nationalities,
    };
    let first_responder = FirstResponderDetails { organisation_type };
    let given: Vec<&str> = [get("prs_FirstName"), get("prs_MiddleName")]
        .into_iter()
        .filter(|v| !v.is_empty())
        .collect();
    let family = get("prs_SecondName");
    let submission = if given.is_empty() && family.is_empty() {
        // No name: an anonymous Duty to Notify report, which only an adult's can be.
        if age == AgeAtExploitation::Child || child_now {
            return Err((
                "htcds-child-without-name",
                "prs_FirstName, prs_SecondName: a child's referral needs the child's name"
                    .to_owned(),
            ));
        }
        json!({"kind": "duty_to_notify", "details": DutyToNotify {
            profile,
            age_at_exploitation: age,
            exploitation,
            first_responder,
        }})
    } else {
        let narrative = match get("hte_Description") {
            "" => "Imported from an HTCDS file, which gave no account of what happened.",
            d => d,
        };
        let victim = PersonalDetails {
            given_names: given.join(" "),
            family_name: family.to_owned(),
            other_names: Vec::new(),
            date_of_birth: born,
            languages: [get("prs_PrimaryLanguage"), get("prs_SecondaryLanguage")]
                .into_iter()
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect(),
            interpreter_needed: false,
            contact: None,
            current_address: None,
            other_references: Vec::new(),
            narrative: narrative.to_owned(),
        };
        if child_now || (born.is_none() && age == AgeAtExploitation::Child) {
            json!({"kind": "child", "details": ChildReferral {
                victim,
                profile,
                age_disputed: false,
                local_authority_notified: false,
                local_authority_area: None,
                exploitation,
                first_responder,
                immigration_cohort: None,
                // HTCDS records no part of the UK the person is in now.
                current_nation: None,
            }})
        } else {
            if !consent {
                return Err((
                    "htcds-no-consent",
                    "con_Consent: an adult's referral needs their consent (or no name: a Duty to Notify report)".to_owned(),
                ));
            }
            json!({"kind": "adult", "details": AdultReferral {
                victim,
                profile,
                consent: AdultConsent {
                    referral_consent_given_on: referred_on,
                    support_consent: false,
                },
                exploitation,
                first_responder,
                immigration_cohort: None,
                // HTCDS records no part of the UK the person is in now.
                current_nation: None,
            }})
        }
    };
    let organisation = match get("org_Name") {
        "" => "htcds-referrer".to_owned(),
        name => format!("htcds-org:{name}"),
    };
    let submitted_at =
        Utc.from_utc_datetime(&referred_on.and_hms_opt(12, 0, 0).unwrap_or_default());
    Ok(json!({
        "legacy_id": id,
        "submitted_at": submitted_at,
        "submitted_by": {"user": "htcds-import", "organisation": organisation},
        "submission": submission,
        "steps": [],
    }))
}
