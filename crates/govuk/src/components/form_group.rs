//! The `formGroup` option of the form components: the wrapping `<div class="govuk-form-group">`
//! with extra classes and attributes, and content to put before and after the control(s).

use serde::Deserialize;

use super::Attributes;
use super::de::{self, Truthy};

/// `formGroup` of the single-control components (input, textarea, character count, select).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FormGroup {
    pub classes: Option<String>,
    pub attributes: Attributes,
    /// Content before the control.
    #[serde(deserialize_with = "de::object")]
    pub before_input: Option<FormGroupContent>,
    /// Content after the control.
    #[serde(deserialize_with = "de::object")]
    pub after_input: Option<FormGroupContent>,
}

/// `formGroup` of the components grouping several controls (radios, checkboxes, date input).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FormGroupOfInputs {
    pub classes: Option<String>,
    pub attributes: Attributes,
    /// Content before the controls, inside their container.
    #[serde(deserialize_with = "de::object")]
    pub before_inputs: Option<FormGroupContent>,
    /// Content after the controls, inside their container.
    #[serde(deserialize_with = "de::object")]
    pub after_inputs: Option<FormGroupContent>,
}

/// Content given as `text` (escaped) or `html` (inserted raw).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FormGroupContent {
    #[serde(deserialize_with = "de::text")]
    pub text: Option<String>,
    pub html: Option<String>,
}

impl FormGroupContent {
    /// The `html` trimmed, or else the `text` escaped.
    pub fn content(&self) -> String {
        de::html_or_text(&self.html, &self.text)
    }

    /// Whether there is any `text` or `html`.
    pub fn is_given(&self) -> bool {
        self.html.truthy().is_some() || self.text.truthy().is_some()
    }
}

/// The form group's classes: the error modifier when the control has an error message, then
/// the caller's own.
pub(crate) fn class_names(has_error: bool, classes: &Option<String>) -> String {
    let base = if has_error {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    };
    de::with_classes(base, classes)
}

/// `describedBy` with `id` appended, space-separated.
pub(crate) fn append(described_by: &mut String, id: &str) {
    if !described_by.is_empty() {
        described_by.push(' ');
    }
    described_by.push_str(id);
}
