//! The checkboxes component: a group of checkboxes (with optional hints, dividers, exclusive
//! "none" options and conditionally revealed content), optionally inside a fieldset.

use askama::Template;
use serde::Deserialize;

use super::de::{self, Truthy};
use super::form_group::{self, Described, FormGroupOfInputs};
use super::{Attributes, Conditional, ErrorMessage, Fieldset, Hint, Label};

/// Options of `govukCheckboxes`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "checkboxes.html")]
pub struct Checkboxes {
    /// Ids the group (or, without a fieldset, each checkbox) is also described by.
    pub described_by: Option<String>,
    #[serde(deserialize_with = "de::object")]
    pub fieldset: Option<Fieldset>,
    #[serde(deserialize_with = "de::object")]
    pub hint: Option<Hint>,
    #[serde(deserialize_with = "de::object")]
    pub error_message: Option<ErrorMessage>,
    pub form_group: FormGroupOfInputs,
    /// The start of each checkbox's `id`; defaults to `name`.
    pub id_prefix: Option<String>,
    pub name: Option<String>,
    /// The checkboxes; empty (`null`, `false`, `""`) entries are skipped but still counted
    /// in ids.
    #[serde(deserialize_with = "de::items")]
    pub items: Vec<Option<CheckboxesItem>>,
    /// The values of the checkboxes to check. Compared as text: unlike the Nunjucks macro,
    /// a number given in JSON matches the same digits given as a string.
    #[serde(deserialize_with = "de::text_list")]
    pub values: Vec<String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// One checkbox, or a divider between them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CheckboxesItem {
    #[serde(deserialize_with = "de::text")]
    pub text: Option<String>,
    pub html: Option<String>,
    pub id: Option<String>,
    /// Defaults to the group's `name`.
    pub name: Option<String>,
    #[serde(deserialize_with = "de::text")]
    pub value: Option<String>,
    /// `classes` and `attributes` for the checkbox's label.
    #[serde(deserialize_with = "de::object")]
    pub label: Option<Label>,
    #[serde(deserialize_with = "de::object")]
    pub hint: Option<Hint>,
    /// Text for a divider shown instead of a checkbox (usually "or").
    #[serde(deserialize_with = "de::text")]
    pub divider: Option<String>,
    pub checked: Option<bool>,
    #[serde(deserialize_with = "de::object")]
    pub conditional: Option<Conditional>,
    /// `exclusive` for a "none of these" option that unchecks the others.
    pub behaviour: Option<String>,
    pub disabled: bool,
    pub attributes: Attributes,
}

/// The content of the form group, nested in the fieldset when there is one.
#[derive(Debug, Template)]
#[template(path = "checkboxes-fields.html")]
struct Fields<'a> {
    checkboxes: &'a Checkboxes,
}

impl CheckboxesItem {
    fn has_hint(&self) -> bool {
        self.hint
            .as_ref()
            .is_some_and(|h| h.text.truthy().is_some() || h.html.truthy().is_some())
    }

    fn conditional_html(&self) -> Option<&str> {
        self.conditional.as_ref()?.html.truthy()
    }
}

impl Checkboxes {
    fn id_prefix(&self) -> &str {
        de::or_undefined(self.id_prefix.truthy().or(self.name.as_deref()))
    }

    fn class_names(&self) -> String {
        de::with_classes("govuk-checkboxes", &self.classes)
    }

    /// `describedBy` (the fieldset's when it has one), then the hint's and error's ids.
    fn group_described_by(&self) -> String {
        let given = self
            .fieldset
            .as_ref()
            .and_then(|f| f.described_by.truthy())
            .or(self.described_by.truthy());
        self.described_by(given.unwrap_or_default())
    }

    fn fields_html(&self) -> String {
        Fields { checkboxes: self }.to_string()
    }

    fn fieldset_component(&self) -> Option<Fieldset> {
        let fieldset = self.fieldset.as_ref()?;
        Some(Fieldset {
            described_by: Some(self.group_described_by()),
            classes: fieldset.classes.clone(),
            attributes: fieldset.attributes.clone(),
            legend: fieldset.legend.clone(),
            html: Some(self.fields_html().trim().to_owned()),
            role: None,
        })
    }

    /// The checkbox's `id`: its own, or else the prefix, numbered from the second item on.
    fn item_id(&self, item: &CheckboxesItem, index: usize) -> String {
        match item.id.truthy() {
            Some(id) => id.to_owned(),
            None if index > 1 => format!("{}-{index}", self.id_prefix()),
            None => self.id_prefix().to_owned(),
        }
    }

    fn item_name<'a>(&'a self, item: &'a CheckboxesItem) -> &'a str {
        item.name
            .truthy()
            .or(self.name.as_deref())
            .unwrap_or_default()
    }

    fn is_checked(&self, item: &CheckboxesItem) -> bool {
        item.checked == Some(true)
            || (item.value.as_ref().is_some_and(|v| self.values.contains(v))
                && item.checked != Some(false))
    }

    /// The checkbox's `aria-describedby`: without a fieldset, the group's, then its own hint.
    fn item_described_by(&self, item: &CheckboxesItem, id: &str) -> String {
        let mut described_by = if self.fieldset.is_some() {
            String::new()
        } else {
            self.group_described_by()
        };
        if item.has_hint() {
            form_group::append(&mut described_by, &format!("{id}-item-hint"));
        }
        described_by.trim().to_owned()
    }

    fn item_label(&self, item: &CheckboxesItem, id: &str) -> Label {
        let label = item.label.clone().unwrap_or_default();
        Label {
            html: item.html.clone(),
            text: item.text.clone(),
            classes: Some(de::with_classes("govuk-checkboxes__label", &label.classes)),
            attributes: label.attributes,
            for_: Some(id.to_owned()),
            is_page_heading: false,
        }
    }

    fn item_hint(&self, item: &CheckboxesItem, id: &str) -> Option<Hint> {
        let hint = item.hint.as_ref().filter(|_| item.has_hint())?;
        Some(Hint {
            id: Some(format!("{id}-item-hint")),
            classes: Some(de::with_classes("govuk-checkboxes__hint", &hint.classes)),
            ..hint.clone()
        })
    }
}

impl Described for Checkboxes {
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
