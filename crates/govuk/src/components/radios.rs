//! The radios component: a group of radio buttons (with optional hints, dividers and
//! conditionally revealed content), optionally inside a fieldset with a legend.

use askama::Template;
use serde::Deserialize;

use super::de::{self, Truthy};
use super::form_group::{Described, FormGroupOfInputs};
use super::{Attributes, ErrorMessage, Fieldset, Hint, Label};

/// Options of `govukRadios`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "radios.html")]
pub struct Radios {
    #[serde(deserialize_with = "de::object")]
    pub fieldset: Option<Fieldset>,
    #[serde(deserialize_with = "de::object")]
    pub hint: Option<Hint>,
    #[serde(deserialize_with = "de::object")]
    pub error_message: Option<ErrorMessage>,
    pub form_group: FormGroupOfInputs,
    /// The start of each radio's `id`; defaults to `name`.
    pub id_prefix: Option<String>,
    pub name: Option<String>,
    /// The radios; empty (`null`, `false`) entries are skipped but still counted in ids.
    #[serde(deserialize_with = "de::items")]
    pub items: Vec<Option<RadiosItem>>,
    /// The value of the radio to check.
    #[serde(deserialize_with = "de::text")]
    pub value: Option<String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// One radio, or a divider between them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RadiosItem {
    #[serde(deserialize_with = "de::text")]
    pub text: Option<String>,
    pub html: Option<String>,
    pub id: Option<String>,
    #[serde(deserialize_with = "de::text")]
    pub value: Option<String>,
    /// `classes` and `attributes` for the radio's label.
    #[serde(deserialize_with = "de::object")]
    pub label: Option<Label>,
    #[serde(deserialize_with = "de::object")]
    pub hint: Option<Hint>,
    /// Text for a divider shown instead of a radio (usually "or").
    #[serde(deserialize_with = "de::text")]
    pub divider: Option<String>,
    pub checked: Option<bool>,
    #[serde(deserialize_with = "de::object")]
    pub conditional: Option<Conditional>,
    pub disabled: bool,
    pub attributes: Attributes,
}

/// Content revealed when a radio or checkbox is checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Conditional {
    #[serde(deserialize_with = "de::text")]
    pub html: Option<String>,
}

/// The content of the form group, nested in the fieldset when there is one.
#[derive(Debug, Template)]
#[template(path = "radios-fields.html")]
struct Fields<'a> {
    radios: &'a Radios,
}

impl RadiosItem {
    fn has_hint(&self) -> bool {
        self.hint
            .as_ref()
            .is_some_and(|h| h.text.truthy().is_some() || h.html.truthy().is_some())
    }

    fn conditional_html(&self) -> Option<&str> {
        self.conditional.as_ref()?.html.truthy()
    }
}

impl Radios {
    fn id_prefix(&self) -> &str {
        de::or_undefined(self.id_prefix.truthy().or(self.name.as_deref()))
    }

    fn class_names(&self) -> String {
        de::with_classes("govuk-radios", &self.classes)
    }

    fn fields_html(&self) -> String {
        Fields { radios: self }.to_string()
    }

    fn fieldset_component(&self) -> Option<Fieldset> {
        let fieldset = self.fieldset.as_ref()?;
        let described_by = self.described_by(fieldset.described_by.truthy().unwrap_or_default());
        Some(Fieldset {
            described_by: Some(described_by),
            classes: fieldset.classes.clone(),
            attributes: fieldset.attributes.clone(),
            legend: fieldset.legend.clone(),
            html: Some(self.fields_html().trim().to_owned()),
            role: None,
        })
    }

    /// The radio's `id`: its own, or else the prefix, numbered from the second item on.
    fn item_id(&self, item: &RadiosItem, index: usize) -> String {
        match item.id.truthy() {
            Some(id) => id.to_owned(),
            None if index > 1 => format!("{}-{index}", self.id_prefix()),
            None => self.id_prefix().to_owned(),
        }
    }

    fn is_checked(&self, item: &RadiosItem) -> bool {
        item.checked == Some(true)
            || (self
                .value
                .truthy()
                .is_some_and(|v| item.value.as_deref() == Some(v))
                && item.checked != Some(false))
    }

    fn item_label(&self, item: &RadiosItem, id: &str) -> Label {
        let label = item.label.clone().unwrap_or_default();
        Label {
            html: item.html.clone(),
            text: item.text.clone(),
            classes: Some(de::with_classes("govuk-radios__label", &label.classes)),
            attributes: label.attributes,
            for_: Some(id.to_owned()),
            is_page_heading: false,
        }
    }

    fn item_hint(&self, item: &RadiosItem, id: &str) -> Option<Hint> {
        let hint = item.hint.as_ref().filter(|_| item.has_hint())?;
        Some(Hint {
            id: Some(format!("{id}-item-hint")),
            classes: Some(de::with_classes("govuk-radios__hint", &hint.classes)),
            ..hint.clone()
        })
    }
}

impl Described for Radios {
    fn id_base(&self) -> &str {
        self.id_prefix()
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
