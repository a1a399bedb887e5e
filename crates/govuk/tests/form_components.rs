//! The form components against every fixture the package publishes for them (see `common`).

mod common;

use nrm_govuk::components::*;

#[test]
fn label() {
    common::check::<Label>("label", &[]);
}

#[test]
fn hint() {
    common::check::<Hint>("hint", &[]);
}

#[test]
fn error_message() {
    common::check::<ErrorMessage>("error-message", &[]);
}

#[test]
fn fieldset() {
    common::check::<Fieldset>("fieldset", &[]);
}

#[test]
fn input() {
    common::check::<Input>("input", &[]);
}

#[test]
fn textarea() {
    common::check::<Textarea>("textarea", &[]);
}

#[test]
fn character_count() {
    common::check::<CharacterCount>("character-count", &[]);
}

#[test]
fn date_input() {
    common::check::<DateInput>("date-input", &[]);
}

#[test]
fn radios() {
    common::check::<Radios>("radios", &[]);
}

#[test]
fn checkboxes() {
    common::check::<Checkboxes>("checkboxes", &[]);
}

#[test]
fn select() {
    common::check::<Select>("select", &[]);
}

/// Renders the cases in `form_extra_fixtures.json` (options the package's fixtures leave
/// out, rendered once with the package's own Nunjucks macros) and compares them the same way.
fn check_extra<T: serde::de::DeserializeOwned + std::fmt::Display>(component: &str) {
    let text = include_str!("form_extra_fixtures.json");
    let file: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
    let cases = file["components"][component]
        .as_array()
        .unwrap_or_else(|| panic!("{component} has extra cases"));
    let mut failures = Vec::new();
    for case in cases {
        let name = &case["name"];
        let params: T = match serde_json::from_value(case["options"].clone()) {
            Ok(params) => params,
            Err(e) => {
                failures.push(format!(
                    "{component} / {name}: options do not deserialise: {e}"
                ));
                continue;
            }
        };
        let ours = common::normalise(&params.to_string());
        let theirs = common::normalise(case["html"].as_str().expect("html"));
        if ours != theirs {
            failures.push(format!(
                "{component} / {name}:\n--- expected\n{theirs}--- rendered\n{ours}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn options_the_package_fixtures_leave_out() {
    check_extra::<Label>("label");
    check_extra::<ErrorMessage>("error-message");
    check_extra::<Fieldset>("fieldset");
    check_extra::<Input>("input");
    check_extra::<Textarea>("textarea");
    check_extra::<CharacterCount>("character-count");
    check_extra::<DateInput>("date-input");
    check_extra::<Radios>("radios");
    check_extra::<Checkboxes>("checkboxes");
    check_extra::<Select>("select");
}
