//! The select component: a label, hint and error message over a `<select>` of options.

use askama::Template;
use serde::Deserialize;

use super::de::{self, Truthy};
use super::form_group::{Described, FormGroup};
use super::{Attributes, ErrorMessage, Hint, Label};

/// Options of `govukSelect`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "select.html")]
pub struct Select {
    /// Defaults to `name`.
    pub id: Option<String>,
    pub name: Option<String>,
    /// The options; empty (`null`, `false`, `""`) entries are skipped.
    #[serde(deserialize_with = "de::items")]
    pub items: Vec<Option<SelectItem>>,
    /// The value (or, for options without one, the text) of the option to select.
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
    pub attributes: Attributes,
}

/// One `<option>`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SelectItem {
    /// Left out of the `<option>` when not given, which then submits its text.
    #[serde(deserialize_with = "de::text_keeping_false")]
    pub value: Option<String>,
    #[serde(deserialize_with = "de::text")]
    pub text: Option<String>,
    pub selected: Option<bool>,
    pub disabled: bool,
    pub attributes: Attributes,
}

impl Select {
    /// The select's `id`: the `id` option, or else the `name`.
    fn control_id(&self) -> Option<&str> {
        self.id.truthy().or(self.name.as_deref())
    }

    fn class_names(&self) -> String {
        let mut names = de::with_classes("govuk-select", &self.classes);
        if self.error_message.is_some() {
            names.push_str(" govuk-select--error");
        }
        names
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

    fn is_selected(&self, item: &SelectItem) -> bool {
        let effective = item.value.as_ref().or(item.text.as_ref());
        item.selected == Some(true)
            || (self
                .value
                .truthy()
                .is_some_and(|v| effective.is_some_and(|e| e == v))
                && item.selected != Some(false))
    }
}

impl Described for Select {
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
