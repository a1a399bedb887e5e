//! The label component: a `<label>`, wrapped in an `<h1>` when it is the page heading.
//! Renders nothing without `text` or `html`.

use askama::Template;
use serde::Deserialize;

use super::Attributes;
use super::de::{self, Truthy};

/// Options of `govukLabel`, also the `label` option of the form components.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "label.html")]
pub struct Label {
    #[serde(deserialize_with = "de::text")]
    pub text: Option<String>,
    pub html: Option<String>,
    /// The `id` of the control the label is for.
    #[serde(rename = "for")]
    pub for_: Option<String>,
    pub is_page_heading: bool,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

impl Label {
    fn shown(&self) -> bool {
        self.html.truthy().is_some() || self.text.truthy().is_some()
    }

    fn class_names(&self) -> String {
        de::with_classes("govuk-label", &self.classes)
    }

    fn content(&self) -> String {
        de::html_or_text(&self.html, &self.text)
    }
}
