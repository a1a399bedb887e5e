//! The tag component: a short status label.

use askama::Template;
use serde::Deserialize;

use super::Attributes;
use super::page_de::{self, html_or_text};

/// Options of `govukTag`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "tag.html")]
pub struct Tag {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    /// Extra classes, such as a colour modifier like `govuk-tag--grey`.
    pub classes: Option<String>,
    pub attributes: Attributes,
}

impl Tag {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-tag");
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn content(&self) -> String {
        html_or_text(&self.html, &self.text)
    }
}
