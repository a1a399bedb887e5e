//! The hint component: the grey help text under a label or legend.

use askama::Template;
use serde::Deserialize;

use super::Attributes;
use super::de::{self, Truthy};

/// Options of `govukHint`, also the `hint` option of the form components.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "hint.html")]
pub struct Hint {
    #[serde(deserialize_with = "de::text")]
    pub text: Option<String>,
    pub html: Option<String>,
    pub id: Option<String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

impl Hint {
    fn class_names(&self) -> String {
        de::with_classes("govuk-hint", &self.classes)
    }

    fn content(&self) -> String {
        de::html_or_text(&self.html, &self.text)
    }

    /// This hint with its `id` set, as the form components render theirs.
    pub(crate) fn with_id(&self, id: String) -> Self {
        Self {
            id: Some(id),
            ..self.clone()
        }
    }
}
