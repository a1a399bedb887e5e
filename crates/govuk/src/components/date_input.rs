//! The date input component: day, month and year text inputs (or the fields given) in a
//! form group, optionally inside a fieldset with a legend.

use std::collections::BTreeMap;

use askama::Template;
use serde::Deserialize;

use super::de::{self, Truthy};
use super::form_group::{Described, FormGroupOfInputs};
use super::{Attributes, ErrorMessage, Fieldset, Hint, Input, Label};

/// Options of `govukDateInput`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "date-input.html")]
pub struct DateInput {
    pub id: Option<String>,
    /// Put before each field's name, with a hyphen.
    pub name_prefix: Option<String>,
    /// The fields, replacing the default day, month and year.
    #[serde(deserialize_with = "de::items")]
    pub items: Vec<Option<DateInputItem>>,
    #[serde(deserialize_with = "de::object")]
    pub hint: Option<Hint>,
    #[serde(deserialize_with = "de::object")]
    pub error_message: Option<ErrorMessage>,
    pub form_group: FormGroupOfInputs,
    #[serde(deserialize_with = "de::object")]
    pub fieldset: Option<Fieldset>,
    /// Options for the default day field: `None` for the default, `Some(None)` (`false` in
    /// JSON) to leave the field out.
    #[serde(deserialize_with = "de::present_object")]
    pub day: Option<Option<DateInputItem>>,
    /// As `day`, for the month.
    #[serde(deserialize_with = "de::present_object")]
    pub month: Option<Option<DateInputItem>>,
    /// As `day`, for the year.
    #[serde(deserialize_with = "de::present_object")]
    pub year: Option<Option<DateInputItem>>,
    /// Values by field name (with the prefix).
    #[serde(deserialize_with = "de::text_map")]
    pub values: BTreeMap<String, String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// One field of the date input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DateInputItem {
    pub id: Option<String>,
    pub name: Option<String>,
    /// The label text; defaults to the name, capitalised.
    #[serde(deserialize_with = "de::text")]
    pub label: Option<String>,
    #[serde(deserialize_with = "de::text")]
    pub value: Option<String>,
    /// Whether this field is in error; when the date input has an error message and no
    /// field is marked, all are.
    pub error: Option<bool>,
    pub autocomplete: Option<String>,
    pub pattern: Option<String>,
    pub inputmode: Option<String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// The content of the form group, nested in the fieldset when there is one.
#[derive(Debug, Template)]
#[template(path = "date-input-fields.html")]
struct Fields<'a> {
    date: &'a DateInput,
}

const FIELD_NAMES: [&str; 3] = ["day", "month", "year"];

impl DateInputItem {
    fn has_error_class(&self) -> bool {
        self.classes
            .truthy()
            .is_some_and(|c| c.contains("govuk-input--error"))
    }

    fn has_error(&self) -> bool {
        self.error == Some(true) || self.has_error_class()
    }
}

/// Nunjucks' `capitalize`: the first character upper case, the rest lower case.
fn capitalize(text: &str) -> String {
    let lower = text.to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl DateInput {
    fn class_names(&self) -> String {
        de::with_classes("govuk-date-input", &self.classes)
    }

    fn fields_html(&self) -> String {
        Fields { date: self }.to_string()
    }

    fn fieldset_component(&self) -> Option<Fieldset> {
        let fieldset = self.fieldset.as_ref()?;
        let described_by = self.described_by(fieldset.described_by.truthy().unwrap_or_default());
        Some(Fieldset {
            described_by: Some(described_by),
            classes: fieldset.classes.clone(),
            role: Some("group".to_owned()),
            attributes: fieldset.attributes.clone(),
            legend: fieldset.legend.clone(),
            html: Some(self.fields_html().trim().to_owned()),
        })
    }

    /// The default day, month and year fields, each `None` when left out.
    fn default_fields(&self) -> [Option<DateInputItem>; 3] {
        let given = [&self.day, &self.month, &self.year];
        std::array::from_fn(|i| match given[i] {
            Some(field) => field.clone(),
            None => Some(DateInputItem {
                name: Some(FIELD_NAMES[i].to_owned()),
                value: self.values.get(FIELD_NAMES[i]).cloned(),
                classes: Some(format!("govuk-input--width-{}", if i == 2 { 4 } else { 2 })),
                ..DateInputItem::default()
            }),
        })
    }

    /// The text inputs to render, each with its place among the default fields when it is
    /// one of them.
    fn inputs(&self) -> Vec<Input> {
        let defaults = self.default_fields();
        let items: Vec<(Option<usize>, &Option<DateInputItem>)> = if self.items.is_empty() {
            defaults
                .iter()
                .enumerate()
                .map(|(i, f)| (Some(i), f))
                .collect()
        } else {
            self.items.iter().map(|f| (None, f)).collect()
        };
        let any_error = items
            .iter()
            .any(|(_, item)| item.as_ref().is_some_and(DateInputItem::has_error));
        items
            .into_iter()
            .filter_map(|(place, item)| {
                let item = item.as_ref()?;
                Some(self.input(item, place, &defaults, any_error))
            })
            .collect()
    }

    fn input(
        &self,
        item: &DateInputItem,
        place: Option<usize>,
        defaults: &[Option<DateInputItem>; 3],
        any_error: bool,
    ) -> Input {
        let mut name = item.name.clone();
        let mut value = item.value.clone();
        let mut width = 2;
        for (i, field) in defaults.iter().enumerate() {
            let field_name = field.as_ref().and_then(|f| f.name.as_deref());
            let is_field = place == Some(i)
                || item
                    .name
                    .truthy()
                    .is_some_and(|n| n == FIELD_NAMES[i] || Some(n) == field_name);
            if is_field {
                name = Some(name.unwrap_or_else(|| FIELD_NAMES[i].to_owned()));
                if value.is_none() {
                    value = field.as_ref().and_then(|f| f.value.clone());
                }
                if i == 2 {
                    width = 4;
                }
                break;
            }
        }

        let mut classes = Vec::new();
        if !item.has_error_class()
            && (item.has_error()
                || (item.error != Some(false) && self.error_message.is_some() && !any_error))
        {
            classes.push("govuk-input--error".to_owned());
        }
        if !item
            .classes
            .truthy()
            .is_some_and(|c| c.contains("govuk-input--width-"))
        {
            classes.push(format!("govuk-input--width-{width}"));
        }
        if let Some(extra) = item.classes.truthy() {
            classes.push(extra.to_owned());
        }
        let classes = classes.join(" ");
        let classes = classes.trim();

        let prefix = self
            .name_prefix
            .truthy()
            .map(|p| format!("{p}-"))
            .unwrap_or_default();
        let full_name = format!("{prefix}{}", de::or_undefined(name.as_deref()));
        let value = value.or_else(|| self.values.get(&full_name).cloned());
        Input {
            label: Some(Label {
                text: Some(match item.label.truthy() {
                    Some(label) => label.to_owned(),
                    None => capitalize(name.as_deref().unwrap_or_default()),
                }),
                classes: Some("govuk-date-input__label".to_owned()),
                ..Label::default()
            }),
            id: Some(match item.id.truthy() {
                Some(id) => id.to_owned(),
                None => format!(
                    "{}-{}",
                    de::or_undefined(self.id.as_deref()),
                    de::or_undefined(name.as_deref())
                ),
            }),
            classes: Some(if classes.is_empty() {
                "govuk-date-input__input".to_owned()
            } else {
                format!("govuk-date-input__input {classes}")
            }),
            name: Some(full_name),
            value,
            type_: Some("text".to_owned()),
            inputmode: Some(item.inputmode.truthy().unwrap_or("numeric").to_owned()),
            autocomplete: item.autocomplete.clone(),
            pattern: item.pattern.clone(),
            attributes: item.attributes.clone(),
            ..Input::default()
        }
    }
}

impl Described for DateInput {
    fn id_base(&self) -> &str {
        de::or_undefined(self.id.as_deref())
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
