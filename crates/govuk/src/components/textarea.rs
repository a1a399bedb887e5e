//! The textarea component: a label, hint and error message over a `<textarea>`.

use askama::Template;
use serde::Deserialize;

use super::de::{self, Truthy};
use super::form_group::{Described, FormGroup};
use super::{Attributes, ErrorMessage, Hint, Label};

/// Options of `govukTextarea`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "textarea.html")]
pub struct Textarea {
    /// Defaults to `name`.
    pub id: Option<String>,
    pub name: Option<String>,
    pub spellcheck: Option<bool>,
    /// Defaults to 5.
    #[serde(deserialize_with = "de::text")]
    pub rows: Option<String>,
    #[serde(deserialize_with = "de::text")]
    pub value: Option<String>,
    pub disabled: bool,
    pub described_by: Option<String>,
    #[serde(deserialize_with = "de::object")]
    pub label: Option<Label>,
    #[serde(deserialize_with = "de::object")]
    pub hint: Option<Hint>,
    #[serde(deserialize_with = "de::object")]
    pub error_message: Option<ErrorMessage>,
    pub form_group: FormGroup,
    pub classes: Option<String>,
    pub autocomplete: Option<String>,
    pub attributes: Attributes,
}

impl Textarea {
    /// The textarea's `id`: the `id` option, or else the `name`.
    fn control_id(&self) -> Option<&str> {
        self.id.truthy().or(self.name.as_deref())
    }

    fn class_names(&self) -> String {
        let base = if self.error_message.is_some() {
            "govuk-textarea govuk-textarea--error"
        } else {
            "govuk-textarea"
        };
        de::with_classes(base, &self.classes)
    }

    fn label_component(&self) -> Label {
        Label {
            for_: self.control_id().map(str::to_owned),
            ..self.label.clone().unwrap_or_default()
        }
    }

    fn aria_described_by(&self) -> String {
        self.described_by(self.described_by.truthy().unwrap_or_default())
    }
}

impl Described for Textarea {
    fn id_base(&self) -> &str {
        de::or_undefined(self.control_id())
    }

    fn hint(&self) -> Option<&Hint> {
        self.hint.as_ref()
    }

    fn error_message(&self) -> Option<&ErrorMessage> {
        self.error_message.as_ref()
    }

    fn form_group_classes(&self) -> &Option<String> {
        &self.form_group.classes
    }
}
