//! The text input component: a label, hint and error message over an `<input>`, optionally
//! with a prefix and suffix beside it.

use askama::Template;
use serde::Deserialize;

use super::attributes::{AttributeValue, OptionalValue};
use super::de::{self, Truthy};
use super::form_group::{Described, FormGroup};
use super::{Attributes, ErrorMessage, Hint, Label};

/// Options of `govukInput`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "input.html")]
pub struct Input {
    /// Defaults to `name`.
    pub id: Option<String>,
    pub name: Option<String>,
    /// Defaults to `text`.
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub inputmode: Option<String>,
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
    #[serde(deserialize_with = "de::object")]
    pub prefix: Option<InputAffix>,
    #[serde(deserialize_with = "de::object")]
    pub suffix: Option<InputAffix>,
    pub form_group: FormGroup,
    pub classes: Option<String>,
    pub autocomplete: Option<String>,
    pub pattern: Option<String>,
    pub spellcheck: Option<bool>,
    pub autocapitalize: Option<String>,
    pub input_wrapper: InputWrapper,
    pub attributes: Attributes,
}

/// The input's `prefix` or `suffix`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InputAffix {
    #[serde(deserialize_with = "de::text")]
    pub text: Option<String>,
    pub html: Option<String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// The input's `inputWrapper`, the `<div>` around the input and its prefix and suffix.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InputWrapper {
    pub classes: Option<String>,
    pub attributes: Attributes,
}

impl InputAffix {
    fn is_given(&self) -> bool {
        self.html.truthy().is_some() || self.text.truthy().is_some()
    }

    fn content(&self) -> String {
        de::html_or_text(&self.html, &self.text)
    }
}

fn optional_text(value: Option<&str>) -> AttributeValue {
    AttributeValue::Optional(value.map(|v| OptionalValue::Text(v.to_owned())))
}

impl Input {
    /// The input's `id`: the `id` option, or else the `name`.
    fn control_id(&self) -> Option<&str> {
        self.id.truthy().or(self.name.as_deref())
    }

    fn label_component(&self) -> Label {
        Label {
            for_: self.control_id().map(str::to_owned),
            ..self.label.clone().unwrap_or_default()
        }
    }

    fn aria_described_by(&self) -> Option<String> {
        Some(self.described_by(self.described_by.truthy().unwrap_or_default()))
            .filter(|d| !d.is_empty())
    }

    fn shown_prefix(&self) -> Option<&InputAffix> {
        self.prefix.as_ref().filter(|a| a.is_given())
    }

    fn shown_suffix(&self) -> Option<&InputAffix> {
        self.suffix.as_ref().filter(|a| a.is_given())
    }

    fn before_input(&self) -> Option<String> {
        let content = self.form_group.before_input.as_ref()?;
        content.is_given().then(|| content.content())
    }

    fn after_input(&self) -> Option<String> {
        let content = self.form_group.after_input.as_ref()?;
        content.is_given().then(|| content.content())
    }

    fn has_wrapper(&self) -> bool {
        self.shown_prefix().is_some()
            || self.shown_suffix().is_some()
            || self.before_input().is_some()
            || self.after_input().is_some()
    }

    fn wrapper_class_names(&self) -> String {
        de::with_classes("govuk-input__wrapper", &self.input_wrapper.classes)
    }

    /// The `<input>`'s own attributes, before the caller's `attributes`.
    fn input_attributes(&self) -> Attributes {
        let mut class = de::with_classes("govuk-input", &self.classes);
        if self.error_message.is_some() {
            class.push_str(" govuk-input--error");
        }
        let text = |s: &str| AttributeValue::Text(s.to_owned());
        let described_by = self.aria_described_by();
        Attributes(vec![
            ("class".into(), text(&class)),
            ("id".into(), text(self.control_id().unwrap_or_default())),
            (
                "name".into(),
                text(self.name.as_deref().unwrap_or_default()),
            ),
            ("type".into(), text(self.type_.truthy().unwrap_or("text"))),
            (
                "spellcheck".into(),
                optional_text(self.spellcheck.map(|b| if b { "true" } else { "false" })),
            ),
            ("value".into(), optional_text(self.value.as_deref())),
            (
                "disabled".into(),
                AttributeValue::Optional(Some(OptionalValue::Bool(self.disabled))),
            ),
            (
                "aria-describedby".into(),
                optional_text(described_by.as_deref()),
            ),
            (
                "autocomplete".into(),
                optional_text(self.autocomplete.as_deref()),
            ),
            (
                "autocapitalize".into(),
                optional_text(self.autocapitalize.as_deref()),
            ),
            ("pattern".into(), optional_text(self.pattern.as_deref())),
            ("inputmode".into(), optional_text(self.inputmode.as_deref())),
        ])
    }
}

impl Described for Input {
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
