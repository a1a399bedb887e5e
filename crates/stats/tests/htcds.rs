//! The HTCDS export: every record has at least k-1 twins on the HTCDS quasi-identifier
//! columns (property test over random case files), every value is one the standard allows
//! (value names of its picklists, ISO 3166 codes, reduced-precision ISO 8601 dates) and every
//! column is an HTCDS field or one of the service's own `nrm_` columns.

use std::collections::HashMap;

use nrm_stats::extract::ExtractOptions;
use nrm_stats::htcds::codes::{FIELDS, is_country_code, is_valid, picklist};
use nrm_stats::htcds::{COLUMNS, HtcdsRecord, Quasi, export, read_csv, to_csv};
use nrm_stats::{Fact, Period};
use proptest::prelude::*;

mod common;
use common::case_file;

/// The values of the quasi-identifier columns of a record.
fn quasi(r: &HtcdsRecord) -> Vec<String> {
    Quasi::ALL
        .iter()
        .flat_map(|q| q.columns())
        .map(|c| r.get(c).to_owned())
        .collect()
}

/// Every value is one HTCDS allows; `Err` names the column and value that is not.
fn check_values(r: &HtcdsRecord) -> Result<(), String> {
    for (column, value) in COLUMNS.iter().zip(&r.values) {
        let ok = match *column {
            "prs_Citizenship" | "hte_Country" => value.is_empty() || is_country_code(value),
            "cas_IncomingReferralDate"
            | "nrm_ReasonableGroundsMonth"
            | "nrm_ConclusiveGroundsMonth" => {
                value.is_empty()
                    || chrono::NaiveDate::parse_from_str(&format!("{value}-01"), "%Y-%m-%d").is_ok()
                    || (value.len() == 4 && value.parse::<i32>().is_ok())
            }
            "hte_State" => {
                ["", "England", "Wales", "Scotland", "Northern Ireland"].contains(&value.as_str())
            }
            c if picklist(c).is_some() => is_valid(c, value),
            _ => true,
        };
        if !ok {
            return Err(format!("{column} = {value:?}"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_record_has_k_minus_one_twins_and_only_valid_values(n in 50usize..1500, seed in any::<u64>(), k in 2usize..15) {
        let facts = case_file(n, seed);
        let options = ExtractOptions::with_k(k, n);
        let (records, report) = export(&facts, Period::Year(2024), &[7; 32], options);
        let mut groups: HashMap<Vec<String>, usize> = HashMap::new();
        for r in &records {
            *groups.entry(quasi(r)).or_default() += 1;
        }
        for r in &records {
            let twins = groups[&quasi(r)];
            prop_assert!(twins >= k, "a record with {} twins for k = {k}", twins - 1);
            prop_assert_eq!(r.values.len(), COLUMNS.len());
            if let Err(e) = check_values(r) {
                prop_assert!(false, "not an HTCDS value: {}", e);
            }
        }
        prop_assert_eq!(report.records + report.suppressed, report.cases);
        prop_assert!(report.suppressed <= options.max_suppressed);
        prop_assert_eq!(report.records, records.len());
        prop_assert!(report.records == 0 || report.smallest_group >= k);
        let unique: std::collections::HashSet<&str> = records.iter().map(|r| r.get("nrm_Pseudonym")).collect();
        prop_assert_eq!(unique.len(), records.len());
    }
}

#[test]
fn columns_are_htcds_fields_or_the_services_own_and_no_direct_identifier() {
    for c in COLUMNS {
        assert!(
            FIELDS.contains(&c) || c.starts_with("nrm_"),
            "{c} is neither an HTCDS field nor nrm_"
        );
    }
    for identifying in [
        "prs_FirstName",
        "prs_MiddleName",
        "prs_SecondName",
        "prs_Birthdate",
        "prs_Email",
        "prs_HomePhone",
        "prs_MobilePhone",
        "prs_MailingStreet",
        "prs_MailingPostalCode",
        "prs_IdentityNumber",
        "cco_CaseComment",
        "hte_Description",
    ] {
        assert!(!COLUMNS.contains(&identifying), "{identifying} exported");
    }
}

#[test]
fn the_csv_reads_back_with_the_same_values_and_values_map_as_documented() {
    let facts = case_file(600, 99);
    let (records, report) = export(
        &facts,
        Period::Year(2024),
        &[5; 32],
        ExtractOptions::with_k(5, 600),
    );
    assert!(!records.is_empty(), "{report:?}");
    let csv = to_csv(&records);
    let read = read_csv(&csv).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read[0].fields, COLUMNS.to_vec());
    assert_eq!(read.len(), records.len() + 1);
    for (r, back) in records.iter().zip(&read[1..]) {
        assert_eq!(r.values, back.fields);
    }
    // With k = 1 nothing is generalised: each record shows its case as recorded.
    let one: Vec<([u8; 16], Fact)> = case_file(40, 3);
    let (records, report) = export(
        &one,
        Period::Year(2024),
        &[5; 32],
        ExtractOptions {
            k: 1,
            max_suppressed: 0,
        },
    );
    assert!(report.levels.iter().all(|(_, l)| *l == 0));
    assert_eq!(records.len(), 40);
    let by_pseudonym: HashMap<String, &Fact> = one
        .iter()
        .map(|(id, f)| (nrm_stats::extract::pseudonym(&[5; 32], id), f))
        .collect();
    for r in &records {
        let f = by_pseudonym[r.get("nrm_Pseudonym")];
        assert_eq!(
            r.get("prs_Gender"),
            nrm_stats::htcds::export::gender(f.gender)
        );
        assert_eq!(
            r.get("cas_IncomingReferralDate"),
            f.referred_on.format("%Y-%m").to_string()
        );
        assert_eq!(
            r.get("org_Type"),
            nrm_stats::htcds::export::organisation_type(f.first_responder)
        );
        let types = r.get("vic_TypeOfExploitation");
        assert_eq!(
            f.exploitation
                .contains(nrm_domain::exploitation::ExploitationType::Labour),
            types.split(';').any(|t| t == "ForcedLabour")
        );
        // HTCDS has no criminal exploitation: it is Other.
        if f.exploitation
            .contains(nrm_domain::exploitation::ExploitationType::Criminal)
        {
            assert!(types.split(';').any(|t| t == "Other"));
        }
    }
}
