//! The `formGroup` option of the form components: the wrapping `<div class="govuk-form-group">`
//! with extra classes and attributes, and content to put before and after the control(s).

use serde::Deserialize;

use super::de::{self, Truthy};
use super::{Attributes, ErrorMessage, Hint};

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

/// A form control's hint and error message, and what GOV.UK derives from them: their ids
/// (`<base>-hint`, `<base>-error`), the components carrying those ids, the form group's
/// classes, and the `aria-describedby` list.
pub(crate) trait Described {
    /// What the hint and error ids start with (the control's id, or the items' id prefix).
    fn id_base(&self) -> &str;
    fn hint(&self) -> Option<&Hint>;
    fn error_message(&self) -> Option<&ErrorMessage>;
    /// The caller's own form-group classes.
    fn form_group_classes(&self) -> &Option<String>;

    fn hint_id(&self) -> String {
        format!("{}-hint", self.id_base())
    }

    fn error_id(&self) -> String {
        format!("{}-error", self.id_base())
    }

    fn hint_component(&self) -> Option<Hint> {
        self.hint().map(|h| h.with_id(self.hint_id()))
    }

    fn error_component(&self) -> Option<ErrorMessage> {
        self.error_message().map(|e| e.with_id(self.error_id()))
    }

    fn form_group_class_names(&self) -> String {
        class_names(self.error_message().is_some(), self.form_group_classes())
    }

    /// `given`, then the hint's id and the error's id when there are a hint and an error.
    fn described_by(&self, given: &str) -> String {
        let mut described_by = given.to_owned();
        if self.hint().is_some() {
            append(&mut described_by, &self.hint_id());
        }
        if self.error_message().is_some() {
            append(&mut described_by, &self.error_id());
        }
        described_by
    }
}
