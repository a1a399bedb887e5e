//! The error message component: the red message above a field in error, with a visually
//! hidden "Error:" prefix for screen readers.

use askama::Template;
use serde::Deserialize;

use super::Attributes;
use super::de::{self, Truthy};

/// Options of `govukErrorMessage`, also the `errorMessage` option of the form components.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "error-message.html")]
pub struct ErrorMessage {
    #[serde(deserialize_with = "de::text")]
    pub text: Option<String>,
    pub html: Option<String>,
    pub id: Option<String>,
    pub classes: Option<String>,
    /// The hidden prefix, "Error" when not given; an empty string leaves it out.
    pub visually_hidden_text: Option<String>,
    pub attributes: Attributes,
}

impl ErrorMessage {
    fn class_names(&self) -> String {
        de::with_classes("govuk-error-message", &self.classes)
    }

    fn content(&self) -> String {
        de::html_or_text(&self.html, &self.text)
    }

    fn prefix(&self) -> Option<&str> {
        match &self.visually_hidden_text {
            None => Some("Error"),
            given => given.truthy(),
        }
    }

    /// This message with its `id` set, as the form components render theirs.
    pub(crate) fn with_id(&self, id: String) -> Self {
        Self {
            id: Some(id),
            ..self.clone()
        }
    }
}
