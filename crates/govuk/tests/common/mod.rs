//! Checks components against the `fixtures.json` the pinned govuk-frontend package publishes
//! for each one: every fixture's options are deserialised into our component's parameters,
//! rendered, and compared with the package's reference HTML after normalisation.
//!
//! Normalisation tokenises both sides as HTML (so `&lt;` and `&#60;` are the same text),
//! collapses runs of whitespace in text to one space and trims it at tag boundaries, drops
//! whitespace-only text and comments, and lists each tag's attributes in name order with
//! whitespace in their values collapsed. Nothing else is forgiven: every element, attribute
//! and word must match.

#![allow(dead_code, clippy::unwrap_used)]

use std::fmt::Display;
use std::fmt::Write as _;
use std::path::PathBuf;

use html5gum::{Token, Tokenizer};
use serde::de::DeserializeOwned;

/// The package's fixtures for one component.
pub fn fixtures(component: &str) -> Vec<serde_json::Value> {
    let path = PathBuf::from(env!("GOVUK_FRONTEND_DIST"))
        .join("components")
        .join(component)
        .join("fixtures.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    file["fixtures"].as_array().unwrap().clone()
}

/// The canonical form both sides are compared in.
pub fn normalise(html: &str) -> String {
    let mut out = String::new();
    let mut text = String::new();
    let flush = |text: &mut String, out: &mut String| {
        let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !collapsed.is_empty() {
            out.push_str(&collapsed);
            out.push('\n');
        }
        text.clear();
    };
    for token in Tokenizer::new(html) {
        let Ok(token) = token;
        match token {
            Token::StartTag(tag) => {
                flush(&mut text, &mut out);
                write!(out, "<{}", String::from_utf8_lossy(&tag.name)).unwrap();
                for (name, value) in &tag.attributes {
                    let value = String::from_utf8_lossy(value);
                    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
                    write!(out, " {}={value:?}", String::from_utf8_lossy(name)).unwrap();
                }
                out.push_str(">\n");
            }
            Token::EndTag(tag) => {
                flush(&mut text, &mut out);
                writeln!(out, "</{}>", String::from_utf8_lossy(&tag.name)).unwrap();
            }
            Token::String(s) => text.push_str(&String::from_utf8_lossy(&s)),
            Token::Comment(_) | Token::Doctype(_) | Token::Error(_) => {}
        }
    }
    flush(&mut text, &mut out);
    out
}

/// Renders every fixture of `component` with `T` and fails listing each one that differs.
/// `skipped` names fixtures left out, each with the reason, which the failure message repeats
/// so a skip can never hide silently.
pub fn check<T: DeserializeOwned + Display>(component: &str, skipped: &[(&str, &str)]) {
    let fixtures = fixtures(component);
    assert!(!fixtures.is_empty(), "{component} has fixtures");
    let mut failures = Vec::new();
    let mut checked = 0;
    for fixture in &fixtures {
        let name = fixture["name"].as_str().unwrap();
        if skipped.iter().any(|(skip, _)| *skip == name) {
            continue;
        }
        let params: T = match serde_json::from_value(fixture["options"].clone()) {
            Ok(params) => params,
            Err(e) => {
                failures.push(format!(
                    "{component} / {name}: options do not deserialise: {e}"
                ));
                continue;
            }
        };
        let ours = normalise(&params.to_string());
        let theirs = normalise(fixture["html"].as_str().unwrap());
        if ours != theirs {
            failures.push(format!(
                "{component} / {name}:\n--- expected\n{theirs}--- rendered\n{ours}"
            ));
        }
        checked += 1;
    }
    for (skip, _) in skipped {
        assert!(
            fixtures.iter().any(|f| f["name"] == *skip),
            "{component}: skipped fixture {skip:?} does not exist"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} {component} fixtures differ:\n\n{}",
        failures.len(),
        fixtures.len(),
        failures.join("\n\n")
    );
    assert_eq!(checked + skipped.len(), fixtures.len());
}
