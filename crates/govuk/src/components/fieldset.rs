//! The fieldset component: a `<fieldset>` with an optional `<legend>` (an `<h1>` inside it
//! when it is the page heading) around the given HTML.

use askama::Template;
use serde::Deserialize;

use super::Attributes;
use super::de::{self, Truthy};

/// Options of `govukFieldset`, also the `fieldset` option of radios, checkboxes and the date
/// input (which supply its `html`).
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "fieldset.html")]
pub struct Fieldset {
    pub described_by: Option<String>,
    #[serde(deserialize_with = "de::object")]
    pub legend: Option<Legend>,
    pub classes: Option<String>,
    pub role: Option<String>,
    pub attributes: Attributes,
    /// The content, inserted raw.
    pub html: Option<String>,
}

/// The fieldset's `legend` option.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Legend {
    #[serde(deserialize_with = "de::text")]
    pub text: Option<String>,
    pub html: Option<String>,
    pub classes: Option<String>,
    pub is_page_heading: bool,
}

impl Fieldset {
    fn class_names(&self) -> String {
        de::with_classes("govuk-fieldset", &self.classes)
    }

    /// The legend, when it has something to say.
    fn shown_legend(&self) -> Option<&Legend> {
        self.legend
            .as_ref()
            .filter(|l| l.html.truthy().is_some() || l.text.truthy().is_some())
    }
}

impl Legend {
    fn class_names(&self) -> String {
        de::with_classes("govuk-fieldset__legend", &self.classes)
    }

    fn content(&self) -> String {
        de::html_or_text(&self.html, &self.text)
    }
}
