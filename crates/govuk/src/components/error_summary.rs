//! The error summary component: the list of a form's errors, at the top of the page.

use askama::Template;
use serde::Deserialize;

use super::Attributes;
use super::page_de::{self, Given, html_or_text};

/// Options of `govukErrorSummary`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "error-summary.html")]
pub struct ErrorSummary {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub title_text: Option<String>,
    pub title_html: Option<String>,
    #[serde(deserialize_with = "page_de::opt_text")]
    pub description_text: Option<String>,
    pub description_html: Option<String>,
    /// The errors, each linking to its field when it has an `href`.
    #[serde(deserialize_with = "page_de::items")]
    pub error_list: Vec<ErrorSummaryItem>,
    /// Rendered as `data-disable-auto-focus` when given.
    pub disable_auto_focus: Option<bool>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// One error in the summary.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorSummaryItem {
    /// The field's id as a fragment, such as `#date-of-birth-day`.
    pub href: Option<String>,
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    /// Attributes for the link.
    pub attributes: Attributes,
}

impl ErrorSummary {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-error-summary");
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn title(&self) -> String {
        html_or_text(&self.title_html, &self.title_text)
    }

    fn has_description(&self) -> bool {
        self.description_html.given().is_some() || self.description_text.given().is_some()
    }

    fn description(&self) -> String {
        html_or_text(&self.description_html, &self.description_text)
    }
}

impl ErrorSummaryItem {
    fn link(&self) -> Option<&str> {
        self.href.given()
    }

    fn content(&self) -> String {
        html_or_text(&self.html, &self.text)
    }
}
