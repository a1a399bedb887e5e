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
