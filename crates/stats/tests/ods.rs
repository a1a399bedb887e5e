//! The ODS workbook read back: a zip whose first entry is the stored `mimetype`, and whose
//! `content.xml` has the cover, contents and notes sheets and then one sheet per table holding
//! the same cells as that table's CSV, with its header row marked and nothing merged.

use std::io::Read as _;

use chrono::NaiveDate;
use nrm_domain::event::{CompetentAuthority, Outcome};
use nrm_domain::exploitation::{ExploitationType, LocationClass};
use nrm_domain::geography::Country;
use nrm_domain::submission::{AgeAtExploitation, FirstResponderType, Gender};
use nrm_stats::facts::{DecisionFact, Fact, Kind, Nationality, Stage, TypeSet};
use nrm_stats::{Options, Period, Policy, build, csv, ods, publish};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn facts() -> Vec<Fact> {
    (0..400u32)
        .map(|i| {
            let on = date(2024, 10, 1) + chrono::Duration::days(i64::from(i % 92));
            Fact {
                kind: if i % 5 == 0 {
                    Kind::DutyToNotify
                } else {
                    Kind::Referral
                },
                referred_on: on,
                age: [AgeAtExploitation::Adult, AgeAtExploitation::Child][(i % 2) as usize],
                gender: [Gender::Male, Gender::Female, Gender::Other][(i % 3) as usize],
                nationality: match i % 4 {
                    0 => {
                        Nationality::Single(Country::parse("AL").unwrap_or(Country::UNITED_KINGDOM))
                    }
                    1 => Nationality::Single(Country::UNITED_KINGDOM),
                    2 => Nationality::Multiple,
                    _ => Nationality::NotKnown,
                },
                exploitation: TypeSet::of(&[[
                    ExploitationType::Labour,
                    ExploitationType::Criminal,
                    ExploitationType::Sexual,
                ][(i % 3) as usize]]),
                county_lines: i % 7 == 0,
                location: LocationClass::UkOnly,
                police_force_area: None,
                nation: None,
                first_responder: FirstResponderType::Police,
                authority: Some(CompetentAuthority::Sca),
                decisions: vec![DecisionFact {
                    stage: Stage::ReasonableGrounds,
                    decided_on: on + chrono::Duration::days(3),
                    outcome: if i % 3 == 0 {
                        Outcome::Negative
                    } else {
                        Outcome::Positive
                    },
                    authority: CompetentAuthority::Sca,
                    first: true,
                }],
                reconsiderations: Vec::new(),
                disqualifications: Vec::new(),
            }
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Text between tags, tags removed.
fn text(xml: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in xml.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(&out)
}

/// Every sheet's name and its rows of cell texts.
fn sheets(content: &str) -> Vec<(String, Vec<Vec<String>>, bool)> {
    let mut out = Vec::new();
    for part in content.split("<table:table table:name=\"").skip(1) {
        let (name, rest) = part.split_once('"').unwrap_or(("", ""));
        let body = rest.split("</table:table>").next().unwrap_or("");
        let rows = body
            .split("<table:table-row>")
            .skip(1)
            .map(|row| {
                let row = row.split("</table:table-row>").next().unwrap_or("");
                row.split("<table:table-cell")
                    .skip(1)
                    .map(|cell| {
                        let inner = cell.split_once('>').map_or("", |(_, i)| i);
                        text(inner.split("</table:table-cell>").next().unwrap_or(""))
                    })
                    .collect()
            })
            .collect();
        out.push((
            unescape(name),
            rows,
            body.contains("<table:table-header-rows>"),
        ));
    }
    out
}

#[test]
fn the_workbook_holds_the_same_cells_as_the_csv_files() {
    let tables = build(
        &facts(),
        Period::parse("2024Q4").unwrap_or(Period::Year(2024)),
        date(2025, 3, 1),
        Options::default(),
    );
    let publication = publish(
        &tables,
        Policy {
            threshold: 10,
            rounding_base: 5,
        },
    );
    let bytes = ods::workbook(&publication).unwrap_or_else(|e| panic!("{e}"));
    // The mimetype first, stored, with nothing else before it (how ODS is recognised).
    assert_eq!(&bytes[0..4], b"PK\x03\x04");
    assert_eq!(&bytes[30..38], b"mimetype");
    assert_eq!(
        &bytes[38..38 + 46],
        b"application/vnd.oasis.opendocument.spreadsheet"
    );
    let mut zip =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap_or_else(|e| panic!("{e}"));
    let mut content = String::new();
    zip.by_name("content.xml")
        .unwrap_or_else(|e| panic!("{e}"))
        .read_to_string(&mut content)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(zip.by_name("META-INF/manifest.xml").is_ok());
    assert!(
        !content.contains("number-columns-spanned") && !content.contains("number-rows-spanned")
    );

    let sheets = sheets(&content);
    let names: Vec<&str> = sheets.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(&names[..3], ["Cover_sheet", "Contents", "Notes"]);
    assert_eq!(sheets.len(), 3 + publication.tables.len());
    // The contents list every table sheet with its title.
    let contents = &sheets[1].1;
    for (i, t) in publication.tables.iter().enumerate() {
        assert!(contents.contains(&vec![format!("Table_{}", i + 1), t.title.clone()]));
    }
    // The notes explain the symbols and the disclosure control.
    let notes: Vec<String> = sheets[2].1.iter().map(|r| r.join(" ")).collect();
    assert!(notes.iter().any(|n| n.contains("[c]")));
    assert!(notes.iter().any(|n| n.contains("rounded to the nearest 5")));

    let mut withheld = 0;
    for (i, t) in publication.tables.iter().enumerate() {
        let (name, rows, header_marked) = &sheets[3 + i];
        assert_eq!(name, &format!("Table_{}", i + 1));
        assert!(header_marked, "{name}");
        assert_eq!(rows[0][0], t.title, "A1 is the title");
        // After the title, the note on what the sheet holds and the definition: the table.
        let csv_rows: Vec<Vec<String>> = csv::table(t).lines().map(split_csv).collect();
        assert_eq!(&rows[3..], &csv_rows[..], "{}", t.id);
        withheld += csv_rows.iter().flatten().filter(|c| *c == "[c]").count();
    }
    assert!(withheld > 0, "the threshold of 10 withholds something here");
}

/// Splits one CSV line (quoted fields with doubled quotes).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    out.push(field);
    out
}
